"""Isolation between schools: the same user IDs in two workspaces (U0STUDENT in A and
U0STUDENT in B are different people), and no command, button, Home tab, export, digest or
program count ever shows or touches the other workspace."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.domain import goals, pairs, people
from bot.domain.cadence import WorkingHours
from bot.service import Database
from bot.store.models import (
    CheckIn,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Pair,
    PairState,
    ProcessedEvent,
    Workspace,
)
from jobs.dispatcher import Dispatcher
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.schools import eventually, install, school
from tests.slack_requests import SlackSender, block_action_payload, get
from tests.test_journey import command_text

A, B = "T0SCHOOLA", "T0SCHOOLB"
STUDENT, MENTOR, ADMIN, OTHER = "U0STUDENT", "U0MENTOR", "U0ADMIN", "U0OTHER"
SECRET_GOAL = "Publish the Alpha case series"  # school A's; school B must never see it


def make_pair_in(
    database: Database,
    team: str,
    *,
    mentee: str,
    mentor: str,
    channel: str | None = None,
    goal: str | None = None,
    going_cold: bool = False,
) -> int:
    with database.sessions.begin() as session:
        workspace = people.workspace_for(session, team_id=team)
        members = []
        for user in (mentee, mentor):
            person = people.person_for(session, workspace=workspace, slack_user_id=user)
            person.tz = "America/New_York"
            members.append(person)
        pair = pairs.pair_directly(
            session,
            mentee=members[0],
            mentor=members[1],
            default_capacity=5,
            hours=WorkingHours(),
            now=datetime.now(UTC),
        )
        pair.checkin_channel_id = channel
        pair.going_cold = going_cold
        pair.unanswered_prompts = 2 if going_cold else 0
        session.flush()
        if goal:
            now = datetime.now(UTC)
            goals.add_goal(session, pair=pair, text=goal, due_on=None, today=now.date(), now=now)
        return pair.id


@pytest.fixture
def schools(oauth_url: str, fake_slack: FakeSlack, database: Database) -> dict[str, SlackSender]:
    for team in (A, B):
        assert install(oauth_url, fake_slack, team_id=team, installer=ADMIN).status == 200
        fake_slack.add_user(ADMIN, is_admin=True, team=team)
    fake_slack.add_channel("G0SPACEA", members=[STUDENT, MENTOR], team=A)
    fake_slack.add_channel("G0SPACEB", members=[STUDENT, MENTOR], team=B)
    # School A: two pairs, one going cold, with a goal; school B: one quiet pair.
    make_pair_in(database, A, mentee=STUDENT, mentor=MENTOR, channel="G0SPACEA", goal=SECRET_GOAL)
    make_pair_in(database, A, mentee=OTHER, mentor=MENTOR, going_cold=True)
    make_pair_in(database, B, mentee=STUDENT, mentor=MENTOR, channel="G0SPACEB")
    return {team: school(oauth_url, fake_slack, team) for team in (A, B)}


def pair_id_of(database: Database, team: str, mentee: str) -> int:
    with database.sessions() as session:
        return session.execute(
            select(Pair.id)
            .join(Workspace)
            .join(Pair.mentee)
            .where(Workspace.team_id == team)
            .where(Pair.mentee.has(slack_user_id=mentee))
        ).scalar_one()


def by(fake: FakeSlack, team: str):  # type: ignore[no-untyped-def]
    tokens = set(fake.tokens_of(team))
    return lambda call: call.token in tokens


def test_commands_show_only_the_asking_workspace(
    schools: dict[str, SlackSender], fake_slack: FakeSlack
) -> None:
    in_a = command_text(schools[A], "/goal", "list", user=STUDENT)
    in_b = command_text(schools[B], "/goal", "list", user=STUDENT)
    assert SECRET_GOAL in in_a
    assert SECRET_GOAL not in in_b
    listed_a = command_text(schools[A], "/mentor", "list", user=MENTOR)
    listed_b = command_text(schools[B], "/mentor", "list", user=MENTOR)
    assert OTHER in listed_a and OTHER not in listed_b  # B's mentor has one mentee only
    status_b = command_text(schools[B], "/checkin", "status", user=STUDENT)
    assert SECRET_GOAL not in status_b
    # B's student checks in: the post goes to B's space with B's token, never to A's.
    command_text(schools[B], "/checkin", "Finished my rotation", user=STUDENT)
    (posted,) = fake_slack.wait_for(
        "chat.postMessage", lambda call: "Finished my rotation" in str(call.args.get("text"))
    )
    assert posted.args["channel"] == "G0SPACEB" and by(fake_slack, B)(posted)


def test_a_button_naming_another_workspaces_pair_touches_nothing(
    schools: dict[str, SlackSender], fake_slack: FakeSlack, database: Database
) -> None:
    pair_a = pair_id_of(database, A, STUDENT)
    for action_id in ("checkin_we_met", "checkin_snooze", "pair_end_confirm"):
        for user in (MENTOR, ADMIN):  # B's mentor, and B's coordinator
            response_url = fake_slack.new_response_url()
            payload = block_action_payload(
                user=user,
                action_id=action_id,
                value=str(pair_a),
                response_url=response_url,
                team_id=B,
            )
            assert schools[B].interaction(payload).status == 200
            (answer,) = fake_slack.wait_for_response(response_url)
            assert "out of date" in answer["text"], (action_id, user, answer)
    with database.sessions() as session:
        pair = session.get(Pair, pair_a)
        assert pair is not None and pair.state is PairState.ACTIVE
        assert session.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 0
    assert [c for c in fake_slack.calls_to("chat.postMessage") if by(fake_slack, A)(c)] == []


def test_a_thread_reply_from_another_workspace_is_not_recorded(
    schools: dict[str, SlackSender], fake_slack: FakeSlack, database: Database
) -> None:
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id_of(database, A, STUDENT))
        assert pair is not None
        session.add(
            Delivery(
                pair_id=pair.id,
                kind=DeliveryKind.PROMPT,
                period="2027-01-05",
                status=DeliveryStatus.SENT,
                due_at=datetime.now(UTC),
                channel_id="G0SPACEA",
                ts="1700000000.000100",
                finished_at=datetime.now(UTC),
            )
        )
    # The same channel ID and thread, the same user ID — but from workspace B.
    event = {
        "type": "message",
        "channel": "G0SPACEA",
        "channel_type": "mpim",
        "user": MENTOR,
        "text": "sure",
        "ts": f"{time.time():.6f}",
        "thread_ts": "1700000000.000100",
    }
    assert schools[B].event(event).status == 200
    eventually(lambda: processed_events(database) == 1)  # B's reply was handled: ignored
    assert schools[A].event({**event, "ts": f"{time.time():.6f}"}).status == 200
    fake_slack.wait_for("reactions.add")  # A's reply was recorded and acknowledged...
    reactions = fake_slack.calls_to("reactions.add")
    assert len(reactions) == 1 and by(fake_slack, A)(reactions[0])  # ...and only A's
    with database.sessions() as session:
        (checkin,) = session.execute(select(CheckIn)).scalars().all()
        assert checkin.mentor_responded_at is not None


def processed_events(database: Database) -> int:
    with database.sessions() as session:
        return session.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one()


def _home(fake: FakeSlack, user: str, team: str, count: int) -> str:
    calls = fake.wait_for(
        "views.publish",
        lambda call: by(fake, team)(call) and call.args["user_id"] == user,
        count=count,
    )
    view = calls[-1].args["view"]
    return json.dumps(view if isinstance(view, dict) else json.loads(view))


def test_home_tabs_and_program_counts_are_per_workspace(
    schools: dict[str, SlackSender], fake_slack: FakeSlack
) -> None:
    for team in (A, B):
        opened = {"type": "app_home_opened", "user": ADMIN, "channel": "D0A", "tab": "home"}
        assert schools[team].event(opened).status == 200
    home_a, home_b = _home(fake_slack, ADMIN, A, 1), _home(fake_slack, ADMIN, B, 1)
    assert "*Active pairs:* 2" in home_a and "*Going cold:* 1" in home_a and OTHER in home_a
    assert "*Active pairs:* 1" in home_b and "*Going cold:* 0" in home_b
    assert OTHER not in home_b
    student = {"type": "app_home_opened", "user": STUDENT, "channel": "D0S", "tab": "home"}
    assert schools[B].event(student).status == 200
    assert SECRET_GOAL not in _home(fake_slack, STUDENT, B, 1)
    # Each Home tab lives in its own workspace.
    assert fake_slack.home_view(ADMIN, team=A) != fake_slack.home_view(ADMIN, team=B)


def test_the_export_holds_only_the_workspace_it_was_asked_in(
    schools: dict[str, SlackSender], fake_slack: FakeSlack
) -> None:
    command_text(schools[B], "/mentor", "export", user=ADMIN)
    (upload,) = fake_slack.wait_for("files.completeUploadExternal", timeout=10)
    assert by(fake_slack, B)(upload)
    (export,) = fake_slack.uploaded_files(ADMIN, team=B)
    rows = list(csv.reader(io.StringIO(export["content"].decode("utf-8-sig"))))
    assert len(rows) == 2  # the header and B's one pair
    assert fake_slack.uploaded_files(ADMIN, team=A) == []


def _digests(fake: FakeSlack, team: str) -> list[SlackCall]:
    return [
        call
        for call in fake.calls_to("chat.postMessage")
        if by(fake, team)(call) and "weekly digest" in str(call.args.get("text"))
    ]


def test_mondays_digest_lists_only_its_own_workspace(
    schools: dict[str, SlackSender],
    fake_slack: FakeSlack,
    database: Database,
    oauth_dispatcher: Dispatcher,
) -> None:
    # Both schools' admins are coordinators (Slack admins); B's pair goes cold too.
    make_pair_in(database, B, mentee="U0THIRD", mentor="U0FOURTH", going_cold=True)
    for team in (A, B):
        opened = {"type": "app_home_opened", "user": ADMIN, "channel": "D0A", "tab": "home"}
        schools[team].event(opened)  # Rounds meets each admin, and confirms the flag
        _home(fake_slack, ADMIN, team, 1)
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    nine_in_new_york = datetime(monday.year, monday.month, monday.day, 15, 0, tzinfo=UTC)
    tick(database.sessions, oauth_dispatcher, now=nine_in_new_york)
    tick(database.sessions, oauth_dispatcher, now=nine_in_new_york + timedelta(hours=1))
    (digest_a,) = _digests(fake_slack, A)
    (digest_b,) = _digests(fake_slack, B)
    shown_a, shown_b = json.dumps(digest_a.args["blocks"]), json.dumps(digest_b.args["blocks"])
    assert OTHER in shown_a and "U0THIRD" not in shown_a
    assert "U0THIRD" in shown_b and OTHER not in shown_b


def test_a_workspace_rate_limited_by_slack_does_not_hold_another(
    schools: dict[str, SlackSender],
    fake_slack: FakeSlack,
    database: Database,
    oauth_dispatcher: Dispatcher,
) -> None:
    pair_b_id = pair_id_of(database, B, STUDENT)
    with database.sessions.begin() as session:
        first = min(session.execute(select(Pair.next_prompt_at)).scalars().all())
        pair_b = session.get(Pair, pair_b_id)
        assert pair_b is not None and first is not None
        pair_b.next_prompt_at = first + timedelta(minutes=1)  # B's prompt comes a minute later
    # Slack refuses both of school A's prompts for five minutes: two 429s on two channels
    # within the wait mean A's whole budget is spent, and A waits.
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=300, times=2, team=A)
    report = tick(database.sessions, oauth_dispatcher, now=first)
    assert (report.dispatch.sent, report.dispatch.retrying) == (0, 2)
    # A minute later B's prompt is due: A's wait is A's alone.
    report = tick(database.sessions, oauth_dispatcher, now=first + timedelta(minutes=1))
    assert report.dispatch.sent == 1
    prompts = [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if "Time to check in" in str(call.args.get("text"))
    ]
    assert [by(fake_slack, B)(call) for call in prompts if call.answered_ok] == [True]
    assert len([call for call in prompts if not call.answered_ok]) == 2
    assert oauth_dispatcher._workspace_wait() is not None  # A is still waiting


def test_every_call_for_a_workspace_uses_that_workspaces_token(
    schools: dict[str, SlackSender],
    fake_slack: FakeSlack,
    database: Database,
    oauth_dispatcher: Dispatcher,
) -> None:
    with database.sessions() as session:
        first = min(session.execute(select(Pair.next_prompt_at)).scalars().all())
    tick(database.sessions, oauth_dispatcher, now=first)
    posts: dict[str, Any] = {}
    for team in (A, B):
        posts[team] = {
            call.args["channel"]
            for call in fake_slack.calls_to("chat.postMessage")
            if by(fake_slack, team)(call)
        }
    assert "G0SPACEA" in posts[A] and "G0SPACEA" not in posts[B]
    assert "G0SPACEB" in posts[B] and "G0SPACEB" not in posts[A]


def test_the_operators_metrics_name_no_school_and_drop_one_that_left(
    schools: dict[str, SlackSender], oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    """/metrics is the operator's: counts over every school, no IDs, nothing to page on for
    a school that uninstalled Rounds (its data only waits to be deleted)."""

    def scrape() -> str:
        reply = get(f"{oauth_url}/metrics")
        assert reply.status == 200
        return reply.text

    shown = scrape()
    for name in (A, B, STUDENT, MENTOR, OTHER, ADMIN, SECRET_GOAL):
        assert name not in shown
    assert 'rounds_pairs{state="active"} 3.0' in shown
    assert "rounds_pairs_going_cold 1.0" in shown
    fake_slack.uninstall(A)
    assert schools[A].event({"type": "app_uninstalled"}).status == 200
    eventually(lambda: 'rounds_pairs{state="active"} 1.0' in scrape())
    assert "rounds_pairs_going_cold 0.0" in scrape()


def test_the_mentor_directory_lists_only_its_own_workspace(
    schools: dict[str, SlackSender], fake_slack: FakeSlack
) -> None:
    shown = command_text(
        schools[A], "/mentor", "offer transplant surgery research", user="U0SURGEON"
    )
    assert "transplant" in shown.lower(), shown
    assert "U0SURGEON" in command_text(schools[A], "/mentor", "find transplant", user=STUDENT)
    assert "U0SURGEON" not in command_text(schools[B], "/mentor", "find transplant", user=STUDENT)
