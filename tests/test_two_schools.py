"""Two schools, one deployment: both add Rounds to Slack, each runs a check-in round with its
own token, one uninstalls — its nudges stop at once while the other's go on — and 30 days
later its data is gone. People in both schools have the same user IDs."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.workspaces import RETENTION, UNINSTALLED
from bot.service import Database
from bot.store.models import (
    Base,
    CheckIn,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Installation,
    Pair,
    PairState,
    Person,
    Workspace,
)
from jobs.dispatcher import Dispatcher
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.schools import (
    eventually,
    every_stored_text,
    install,
    school,
)
from tests.slack_requests import SlackSender
from tests.test_journey import command_text

A, B = "T0SCHOOLA", "T0SCHOOLB"
STUDENT, MENTOR, ADMIN = "U0STUDENT", "U0MENTOR", "U0ADMIN"  # in both schools alike


def by(fake: FakeSlack, team: str):  # type: ignore[no-untyped-def]
    """Calls made with one of `team`'s tokens."""
    tokens = set(fake.tokens_of(team))
    return lambda call: call.token in tokens


def posts_in(fake: FakeSlack, team: str, *, text: str = "") -> list[SlackCall]:
    mine = by(fake, team)
    return [
        call
        for call in fake.calls_to("chat.postMessage")
        if mine(call) and text in str(call.args.get("text"))
    ]


@pytest.fixture
def schools(oauth_url: str, fake_slack: FakeSlack) -> dict[str, SlackSender]:
    for team in (A, B):
        assert install(oauth_url, fake_slack, team_id=team, installer=ADMIN).status == 200
        fake_slack.add_user(ADMIN, is_admin=True, team=team)
        fake_slack.add_user(STUDENT, tz="America/New_York", team=team)
        fake_slack.add_user(MENTOR, tz="America/New_York", team=team)
    return {team: school(oauth_url, fake_slack, team) for team in (A, B)}


def pair_up(slack: SlackSender, fake: FakeSlack) -> str:
    """A coordinator pairs the student with the mentor; returns the check-in space."""
    shown = command_text(slack, "/mentor", f"pair <@{STUDENT}> <@{MENTOR}>", user=ADMIN)
    assert "Paired" in shown, shown
    (welcome,) = fake.wait_for(
        "chat.postMessage",
        lambda call: by(fake, slack.team_id)(call) and "Welcome" in str(call.args.get("text")),
    )
    # Weekly, so that a second round comes well within the 30 days of the story below.
    shown = command_text(slack, "/mentor", f"cadence <@{MENTOR}> weekly", user=STUDENT)
    assert "weekly" in shown.lower() or "every week" in shown.lower(), shown
    return str(welcome.args["channel"])


def reply_in_thread(slack: SlackSender, space: str, thread_ts: str, user: str) -> None:
    event = {
        "type": "message",
        "channel": space,
        "channel_type": "mpim",
        "user": user,
        "text": "Thanks, see you Thursday",
        "ts": f"{time.time():.6f}",
        "thread_ts": thread_ts,
    }
    assert slack.event(event).status == 200


def pair_of(database: Database, team: str) -> Pair:
    with database.sessions() as session:
        return session.execute(
            select(Pair).join(Workspace).where(Workspace.team_id == team)
        ).scalar_one()


def deliveries_of(database: Database, team: str, kind: DeliveryKind) -> list[Delivery]:
    with database.sessions() as session:
        return list(
            session.execute(
                select(Delivery)
                .join(Pair, Delivery.pair_id == Pair.id)
                .join(Workspace)
                .where(Workspace.team_id == team, Delivery.kind == kind)
            ).scalars()
        )


def test_two_schools_each_with_its_own_token_and_one_leaves(
    schools: dict[str, SlackSender],
    fake_slack: FakeSlack,
    database: Database,
    oauth_dispatcher: Dispatcher,
) -> None:
    spaces = {team: pair_up(slack, fake_slack) for team, slack in schools.items()}
    # The same two people in two schools have two check-in spaces, one in each workspace.
    assert spaces[A] != spaces[B]

    # --- a check-in round in each school, each with its own token -------------------------
    first = pair_of(database, A).next_prompt_at
    assert first is not None and first == pair_of(database, B).next_prompt_at
    report = tick(database.sessions, oauth_dispatcher, now=first)
    assert report.dispatch.failed == 0
    for team in (A, B):
        (prompt,) = posts_in(fake_slack, team, text="Time to check in")
        assert prompt.args["channel"] == spaces[team]
        prompt_ts = next(
            m["ts"]
            for m in fake_slack.messages(spaces[team], team=team)
            if "Time to check in" in m["text"]
        )
        for member in (STUDENT, MENTOR):
            reply_in_thread(schools[team], spaces[team], prompt_ts, member)
        fake_slack.wait_for("reactions.add", by(fake_slack, team), count=2)
    for team in (A, B):
        with database.sessions() as session:
            (checkin,) = session.execute(
                select(CheckIn).join(Pair).join(Workspace).where(Workspace.team_id == team)
            ).scalars()
            assert checkin.completed_at is not None
    # Every call was made with one school's token; none went anywhere without one.
    every_call = [call for call in fake_slack.calls if call.method != "oauth.v2.access"]
    assert all(by(fake_slack, A)(call) or by(fake_slack, B)(call) for call in every_call)

    # --- school A uninstalls ----------------------------------------------------------------
    (gratitude_a,) = deliveries_of(database, A, DeliveryKind.GRATITUDE)
    (gratitude_b,) = deliveries_of(database, B, DeliveryKind.GRATITUDE)
    assert gratitude_a.status is DeliveryStatus.SCHEDULED
    fake_slack.uninstall(A)
    assert schools[A].event({"type": "app_uninstalled"}).status == 200
    eventually(lambda: deliveries_of(database, A, DeliveryKind.GRATITUDE)[0].outcome is not None)
    (gratitude_a,) = deliveries_of(database, A, DeliveryKind.GRATITUDE)
    assert (gratitude_a.status, gratitude_a.outcome) == (DeliveryStatus.SKIPPED, UNINSTALLED)
    with database.sessions() as session:
        keys = session.execute(select(Installation.installation_key)).scalars().all()
        assert keys == [B]  # A's tokens went at once
    posts_of_a = posts_in(fake_slack, A)
    posts_before = len(fake_slack.calls_to("chat.postMessage"))
    tick(database.sessions, oauth_dispatcher, now=gratitude_b.due_at + timedelta(hours=1))
    thanks = fake_slack.calls_to("chat.postMessage")[posts_before:]
    assert [by(fake_slack, B)(call) for call in thanks] == [True]  # B's reminder, nothing of A
    # Nothing is even planned for A, however long it waits; B's next round comes.
    planned_for_a = len(deliveries_of(database, A, DeliveryKind.PROMPT))
    later = pair_of(database, B).next_prompt_at
    assert later is not None and later == pair_of(database, A).next_prompt_at
    assert later + timedelta(hours=1) < first + timedelta(days=20)  # long before the 30 days
    tick(database.sessions, oauth_dispatcher, now=later + timedelta(hours=1))
    assert len(deliveries_of(database, A, DeliveryKind.PROMPT)) == planned_for_a
    assert posts_in(fake_slack, A) == posts_of_a
    assert len(posts_in(fake_slack, B, text="Time to check in")) == 2

    # --- no token in plain text, ever --------------------------------------------------------
    raw = every_stored_text(database)
    for team in (A, B):
        for token in fake_slack.tokens_of(team):
            assert token not in raw
    assert A in raw  # A's data waits its 30 days

    # --- 30 days later, A's data is gone; B's is all there ---------------------------------
    with database.sessions() as session:
        uninstalled_at = session.execute(
            select(Workspace.uninstalled_at).where(Workspace.team_id == A)
        ).scalar_one()
    assert uninstalled_at is not None
    counts_before = table_counts(database)
    almost = uninstalled_at + RETENTION - timedelta(hours=1)
    report = tick(database.sessions, oauth_dispatcher, now=almost)
    assert report.plan.workspaces_deleted == 0
    report = tick(database.sessions, oauth_dispatcher, now=uninstalled_at + RETENTION)
    assert report.plan.workspaces_deleted == 1
    with database.sessions() as session:
        assert session.execute(select(Workspace.team_id)).scalars().all() == [B]
        (pair_b,) = session.execute(select(Pair)).scalars().all()
        assert pair_b.state is PairState.ACTIVE
        assert {p.slack_user_id for p in session.execute(select(Person)).scalars()} >= {
            STUDENT,
            MENTOR,
        }
    assert A not in every_stored_text(database)
    counts_after = table_counts(database)
    assert counts_after["pairs"] == counts_before["pairs"] - 1


def table_counts(database: Database) -> dict[str, int]:
    with database.sessions() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }
