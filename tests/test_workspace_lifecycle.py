"""Workspaces leaving and coming back: uninstalls and revoked tokens stop the nudges at once
and tell nobody; the data waits 30 days (or until `python -m jobs workspace delete`), then
goes — all of it; a school that adds Rounds again within the 30 days picks up where it was."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.domain.cadence import WorkingHours
from bot.domain.workspaces import RETENTION, UNINSTALLED
from bot.service import Database
from bot.store import installations as queries
from bot.store.models import (
    Base,
    Blackout,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Installation,
    Pair,
    PairState,
    ProcessedEvent,
    Workspace,
)
from jobs import program
from jobs.dispatcher import Dispatcher
from jobs.program import CommandFailedError
from jobs.runtime import make_dispatcher
from jobs.tick import run_planner, tick
from sandbox.fake_slack import FakeSlack
from tests.conftest import NUDGE_START
from tests.schools import eventually, install, school
from tests.slack_requests import TEAM_ID, SlackSender
from tests.test_isolation import make_pair_in
from tests.test_journey import command_text

REPO = Path(__file__).resolve().parents[1]
A, B = "T0SCHOOLA", "T0SCHOOLB"
FIRST_PROMPT = NUDGE_START + timedelta(weeks=2)


def workspace(database: Database, team: str) -> Workspace | None:
    with database.sessions() as session:
        return session.execute(
            select(Workspace).where(Workspace.team_id == team)
        ).scalar_one_or_none()


def deliveries(database: Database) -> list[Delivery]:
    with database.sessions() as session:
        return list(session.execute(select(Delivery).order_by(Delivery.id)).scalars())


def prompts_posted(fake: FakeSlack) -> list[str]:
    """The channels of the prompts Slack accepted (in any workspace)."""
    return [m["channel"] for m in fake.messages() if "Time to check in" in m["text"]]


# --- single-token mode -----------------------------------------------------------------------


def uninstalled_the_day_before(database: Database) -> None:
    """The pair fixture's story runs in January 2027: so does its uninstall."""
    with database.sessions.begin() as session:
        found = session.execute(select(Workspace).where(Workspace.team_id == TEAM_ID)).scalar_one()
        found.uninstalled_at = FIRST_PROMPT - timedelta(days=1)


def test_single_token_mode_stops_at_uninstall_and_forgets_after_30_days(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    dispatcher: Dispatcher,
    pair_id: int,
) -> None:
    tick(database.sessions, dispatcher, now=FIRST_PROMPT - timedelta(days=1))
    fake_slack.uninstall(TEAM_ID)
    assert slack.event({"type": "app_uninstalled"}).status == 200
    eventually(lambda: (workspace(database, TEAM_ID) or Workspace()).uninstalled_at is not None)
    uninstalled_the_day_before(database)
    report = tick(database.sessions, dispatcher, now=FIRST_PROMPT)
    assert prompts_posted(fake_slack) == [] and report.dispatch.sent == 0
    assert report.plan.planned == 0  # nothing is even planned for it
    marked = workspace(database, TEAM_ID)
    assert marked is not None and marked.uninstalled_at is not None
    # Slack still refuses the token 30 days on: every row about the workspace goes.
    report = tick(database.sessions, dispatcher, now=marked.uninstalled_at + RETENTION)
    assert report.plan.workspaces_deleted == 1
    assert workspace(database, TEAM_ID) is None
    with database.sessions() as session:
        assert session.execute(select(func.count()).select_from(Pair)).scalar_one() == 0


def test_single_token_mode_resumes_when_its_token_works_again(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    settings: Settings,
    pair_id: int,
) -> None:
    fake_slack.uninstall(TEAM_ID)
    assert slack.event({"type": "app_uninstalled"}).status == 200
    eventually(lambda: (workspace(database, TEAM_ID) or Workspace()).uninstalled_at is not None)
    uninstalled_the_day_before(database)
    # The school adds Rounds again; the operator restarts it with the new token.
    fake_slack.reinstall(TEAM_ID)
    restarted = make_dispatcher(settings, database.sessions)
    report = tick(database.sessions, restarted, now=FIRST_PROMPT)
    assert report.plan.workspaces_revived == 1
    marked = workspace(database, TEAM_ID)
    assert marked is not None and marked.uninstalled_at is None
    tick(database.sessions, restarted, now=FIRST_PROMPT + timedelta(minutes=1))
    assert prompts_posted(fake_slack) == ["G0SPACE"]


def test_a_revoked_bot_token_stops_nudges_a_revoked_user_token_does_not(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    users_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U0ADMIN"], "bot": []}}
    assert slack.event(users_only).status == 200
    bot = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}
    eventually(lambda: _events_seen(database) == 1)
    assert (workspace(database, TEAM_ID) or Workspace()).uninstalled_at is None
    assert slack.event(bot).status == 200
    eventually(lambda: (workspace(database, TEAM_ID) or Workspace()).uninstalled_at is not None)


def _events_seen(database: Database) -> int:
    with database.sessions() as session:
        return session.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one()


def test_a_delivery_of_a_marked_workspace_is_never_sent(
    fake_slack: FakeSlack, database: Database, dispatcher: Dispatcher, pair_id: int
) -> None:
    tick(database.sessions, dispatcher, now=FIRST_PROMPT - timedelta(days=1))
    run_planner(database.sessions, hours=WorkingHours(), now=FIRST_PROMPT)
    # Planned while installed; the mark comes after, and its own skip missed this one.
    with database.sessions.begin() as session:
        found = session.execute(select(Workspace)).scalar_one()
        queries.mark_uninstalled(session, workspace_ids=[found.id], now=FIRST_PROMPT)
    report = dispatcher.run(now=FIRST_PROMPT)
    assert (report.sent, report.skipped) == (0, 1)
    (prompt,) = [d for d in deliveries(database) if d.kind is DeliveryKind.PROMPT]
    assert (prompt.status, prompt.outcome) == (DeliveryStatus.SKIPPED, UNINSTALLED)
    assert prompts_posted(fake_slack) == []


# --- OAuth mode ------------------------------------------------------------------------------


@pytest.fixture
def two_schools(
    oauth_url: str, fake_slack: FakeSlack, database: Database
) -> dict[str, SlackSender]:
    for team in (A, B):
        assert install(oauth_url, fake_slack, team_id=team).status == 200
        fake_slack.add_channel(f"G0SPACE{team[-1]}", members=["U0STUDENT", "U0MENTOR"], team=team)
        make_pair_in(
            database, team, mentee="U0STUDENT", mentor="U0MENTOR", channel=f"G0SPACE{team[-1]}"
        )
    return {team: school(oauth_url, fake_slack, team) for team in (A, B)}


def first_prompt(database: Database) -> datetime:
    with database.sessions() as session:
        found = min(session.execute(select(Pair.next_prompt_at)).scalars().all())
    assert found is not None
    return found


def test_a_token_slack_refuses_stops_that_workspace_quietly(
    two_schools: dict[str, SlackSender],
    fake_slack: FakeSlack,
    database: Database,
    oauth_dispatcher: Dispatcher,
) -> None:
    fake_slack.uninstall(A)  # ... and Slack's app_uninstalled event has not arrived yet
    report = tick(database.sessions, oauth_dispatcher, now=first_prompt(database))
    assert report.dispatch.failed == 0
    assert prompts_posted(fake_slack) == ["G0SPACEB"]
    marked = workspace(database, A)
    assert marked is not None and marked.uninstalled_at is not None
    with database.sessions() as session:
        pair_a = session.execute(select(Pair).where(Pair.workspace_id == marked.id)).scalar_one()
        assert pair_a.state is PairState.ACTIVE  # not paused: nobody to tell, nothing to fix
        outcomes_a = session.execute(
            select(Delivery.status, Delivery.outcome).where(Delivery.pair_id == pair_a.id)
        ).all()
        # The refused post, and whatever else A had waiting: skipped, none sent or failed.
        assert (DeliveryStatus.SKIPPED, f"{UNINSTALLED}: token_revoked") in outcomes_a
        assert {status for status, _ in outcomes_a} == {DeliveryStatus.SKIPPED}
        alerts = session.execute(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.kind == DeliveryKind.COORDINATOR_ALERT)
        ).scalar_one()
        assert alerts == 0


def test_a_school_that_comes_back_within_30_days_picks_up_where_it_was(
    two_schools: dict[str, SlackSender],
    oauth_url: str,
    fake_slack: FakeSlack,
    database: Database,
    oauth_dispatcher: Dispatcher,
) -> None:
    fake_slack.uninstall(A)
    assert two_schools[A].event({"type": "app_uninstalled"}).status == 200
    eventually(lambda: (workspace(database, A) or Workspace()).uninstalled_at is not None)
    assert install(oauth_url, fake_slack, team_id=A).status == 200
    back = workspace(database, A)
    assert back is not None and back.uninstalled_at is None
    tick(database.sessions, oauth_dispatcher, now=first_prompt(database))
    assert sorted(prompts_posted(fake_slack)) == ["G0SPACEA", "G0SPACEB"]


def test_an_org_wide_uninstall_stops_every_workspace_of_the_org(
    oauth_url: str, fake_slack: FakeSlack, database: Database, oauth_dispatcher: Dispatcher
) -> None:
    install(oauth_url, fake_slack, team_id="T0NORTH", enterprise_id="E0HEALTH", org_wide=True)
    for team in ("T0NORTH", "T0SOUTH"):
        campus = school(oauth_url, fake_slack, team, enterprise_id="E0HEALTH", org_wide=True)
        command_text(campus, "/mentor", "help", user="W0STUDENT")  # the org's token answers
        make_pair_in(database, team, mentee="W0STUDENT", mentor="W0MENTOR")
    fake_slack.uninstall("E0HEALTH")
    north = school(oauth_url, fake_slack, "T0NORTH", enterprise_id="E0HEALTH", org_wide=True)
    assert north.event({"type": "app_uninstalled"}).status == 200
    eventually(
        lambda: all(
            (workspace(database, team) or Workspace()).uninstalled_at is not None
            for team in ("T0NORTH", "T0SOUTH")
        )
    )
    with database.sessions() as session:
        assert session.execute(select(Installation)).scalars().all() == []


# --- deleting at once ------------------------------------------------------------------------


def jobs(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO / "tests",
    )


def table_counts(database: Database) -> dict[str, int]:
    with database.sessions() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def test_workspace_delete_removes_every_row_of_one_school_at_once(
    oauth_settings: Settings,
    oauth_url: str,
    fake_slack: FakeSlack,
    database: Database,
    database_url: str,
    oauth_dispatcher: Dispatcher,
) -> None:
    # School B's world first: what must survive, table by table.
    install(oauth_url, fake_slack, team_id=B)
    fake_slack.add_channel("G0SPACEB", members=["U0STUDENT", "U0MENTOR"], team=B)
    make_pair_in(database, B, mentee="U0STUDENT", mentor="U0MENTOR", channel="G0SPACEB", goal="B")
    survivors = table_counts(database)
    # School A: the same people, a goal, sent prompts, a blackout.
    install(oauth_url, fake_slack, team_id=A)
    fake_slack.add_channel("G0SPACEA", members=["U0STUDENT", "U0MENTOR"], team=A)
    make_pair_in(database, A, mentee="U0STUDENT", mentor="U0MENTOR", channel="G0SPACEA", goal="A")
    with database.sessions.begin() as session:
        school_a = session.execute(select(Workspace).where(Workspace.team_id == A)).scalar_one()
        exams = date(2027, 3, 15)
        session.add(
            Blackout(
                workspace_id=school_a.id,
                starts_on=exams,
                ends_on=exams,
                name="Exams",
                source="manual",
            )
        )
    tick(database.sessions, oauth_dispatcher, now=first_prompt(database))
    with database.sessions() as session:  # B's prompt went out meanwhile (and its follow-up)
        survivors["deliveries"] = session.execute(
            select(func.count())
            .select_from(Delivery)
            .join(Pair, Delivery.pair_id == Pair.id)
            .join(Workspace)
            .where(Workspace.team_id == B)
        ).scalar_one()
    assert table_counts(database)["deliveries"] > survivors["deliveries"]  # A's are there too
    survivors["oauth_states"] = table_counts(database)["oauth_states"]

    listed = jobs("workspace", "list", database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    assert f"{A}" in listed.stdout and f"{B}" in listed.stdout and "installed" in listed.stdout

    deleted = jobs("workspace", "delete", A, database_url=database_url)
    assert deleted.returncode == 0, deleted.stderr
    assert f"Deleted workspace {A}: 2 people, 1 pairs, 1 goals" in deleted.stdout
    counts = table_counts(database)
    assert {name: counts[name] for name in survivors if name != "processed_events"} == {
        name: survivors[name] for name in survivors if name != "processed_events"
    }
    assert workspace(database, A) is None and workspace(database, B) is not None

    refused = jobs("workspace", "delete", "not-a-team", database_url=database_url)
    assert refused.returncode == 1 and "error:" in refused.stderr
    nobody = jobs("workspace", "delete", "T0NOBODY", database_url=database_url)
    assert nobody.returncode == 0 and "No workspace T0NOBODY" in nobody.stdout


def test_data_waits_30_days_then_goes_and_only_that_schools(
    two_schools: dict[str, SlackSender],
    fake_slack: FakeSlack,
    database: Database,
    oauth_dispatcher: Dispatcher,
) -> None:
    before = table_counts(database)
    fake_slack.uninstall(A)
    assert two_schools[A].event({"type": "app_uninstalled"}).status == 200
    eventually(lambda: (workspace(database, A) or Workspace()).uninstalled_at is not None)
    gone_at = (workspace(database, A) or Workspace()).uninstalled_at
    assert gone_at is not None
    for days in (1, 29):
        tick(database.sessions, oauth_dispatcher, now=gone_at + timedelta(days=days))
        assert workspace(database, A) is not None  # kept, in case the school comes back
    tick(database.sessions, oauth_dispatcher, now=gone_at + RETENTION + timedelta(minutes=1))
    assert workspace(database, A) is None
    after = table_counts(database)
    assert after["workspaces"] == before["workspaces"] - 1
    assert after["pairs"] == before["pairs"] - 1
    assert after["people"] == before["people"] - 2
    assert workspace(database, B) is not None


# --- the command-line twins, with many workspaces -------------------------------------------


def test_a_command_line_import_names_its_workspace_and_uses_its_token(
    two_schools: dict[str, SlackSender],
    oauth_settings: Settings,
    fake_slack: FakeSlack,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "SLACK_CLIENT_ID": oauth_settings.slack_client_id,
        "SLACK_CLIENT_SECRET": oauth_settings.slack_client_secret,
        "ROUNDS_TOKEN_KEY": oauth_settings.token_key,
        "SLACK_API_URL": oauth_settings.slack_api_url,
        "DATABASE_URL": database_url,
    }.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("ROUNDS_COORDINATORS", raising=False)
    fake_slack.add_user("U0ADMIN", is_admin=True, team=A)
    fake_slack.add_user("U0NEW", email="new@med.example", team=A)
    fake_slack.add_user("U0TUTOR", email="tutor@med.example", team=A)
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("mentee,mentor\nnew@med.example,tutor@med.example\n")
    out = io.StringIO()
    with pytest.raises(CommandFailedError, match="--team"):
        program.run_import(cohort, by="U0ADMIN", dry_run=True, out=out)
    assert program.run_import(cohort, by="U0ADMIN", dry_run=True, out=out, team=A) == 0
    assert "1 new pairs" in out.getvalue()
    lookups = fake_slack.calls_to("users.lookupByEmail")
    assert lookups and {call.token for call in lookups} <= set(fake_slack.tokens_of(A))
