"""Program tools at scale: a dry run of a 1,000-line CSV against the fake Slack (answering each
e-mail look-up in about 20 ms), and building a coordinator's Home tab at 1,000 pairs."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update

from bench.seed import TEAM_ID, seed_pairs
from bot.config import Settings
from bot.domain import people
from bot.domain.cadence import WorkingHours
from bot.domain.program import imports
from bot.listeners.home import home_view_for
from bot.listeners.request import SlackRequest
from bot.slack_out import look_up_people, make_web_client
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Pair
from sandbox.fake_slack import FakeSlack

LOOKUP_SECONDS = 0.02
COORDINATOR = "U0BENCHCOORD"


@dataclass(frozen=True)
class ProgramRow:
    csv_lines: int
    lookups: int
    dry_run_s: float
    home_pairs: int
    home_ms: float
    home_blocks: int


def _csv(fake: FakeSlack, lines: int) -> bytes:
    rows = ["mentee,mentor,cadence"]
    for index in range(lines):
        fake.add_user(f"U5{index:07d}", email=f"s{index}@bench.example")
        fake.add_user(f"U6{index:07d}", email=f"m{index}@bench.example")
        rows.append(f"s{index}@bench.example,m{index}@bench.example,every 3 weeks")
    return ("\n".join(rows) + "\n").encode()


def measure_program(*, database_url: str, fake: FakeSlack, lines: int, pairs: int) -> ProgramRow:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    settings = Settings(
        slack_bot_token="xoxb-bench",
        slack_api_url=fake.api_url,
        database_url=database_url,
        coordinators=frozenset({COORDINATOR}),
    )
    data = _csv(fake, lines)
    fake.delay("users.lookupByEmail", LOOKUP_SECONDS, times=2 * lines)
    client = make_web_client(settings)
    with sessions() as session:
        workspace = people.workspace_for(session, team_id=TEAM_ID)
        coordinator = people.person_for(session, workspace=workspace, slack_user_id=COORDINATOR)
        session.commit()
        before = len(fake.calls_to("users.lookupByEmail"))
        started = time.perf_counter()
        _, check = imports.dry_run(
            session,
            workspace=workspace,
            coordinator=coordinator,
            file_name="bench.csv",
            data=data,
            look_up=lambda refs: look_up_people(client, refs),
            default_capacity=5,
            hours=WorkingHours(),
            configured=settings.coordinators,
            now=now,
        )
        dry_run_s = time.perf_counter() - started
        session.rollback()
    assert len(check.new) == lines, "the benchmark CSV should be clean"
    lookups = len(fake.calls_to("users.lookupByEmail")) - before

    seed_pairs(engine, count=pairs, now=now, goals_per_pair=1)
    with engine.begin() as connection:  # a tenth of the program needs attention
        connection.execute(
            update(Pair).where(Pair.id % 10 == 0).values(going_cold=True, unanswered_prompts=2)
        )
    timings, blocks = [], 0
    for _ in range(5):
        with sessions() as session:
            request = SlackRequest(
                ack=lambda *a, **k: None,
                body={"team_id": TEAM_ID, "user_id": COORDINATOR},
                client=client,
                respond=lambda *a, **k: None,
                session=session,
                settings=settings,
                now=now,
            )
            me = people.person_in_team(session, team_id=TEAM_ID, slack_user_id=COORDINATOR)
            started = time.perf_counter()
            view = home_view_for(request, me)
            timings.append((time.perf_counter() - started) * 1000)
            shown = view["blocks"]
            blocks = len(shown) if isinstance(shown, list) else 0
    engine.dispose()
    return ProgramRow(
        csv_lines=lines,
        lookups=lookups,
        dry_run_s=dry_run_s,
        home_pairs=pairs,
        home_ms=statistics.median(timings),
        home_blocks=blocks,
    )
