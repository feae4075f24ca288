"""A whole mentorship, through Slack-signed HTTP requests against the fake Slack:
request → accept → check-in space → goals → check-in → mentor's reply → lists and Home."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import inspect, select, text

from bot.service import Database
from bot.store.models import CheckIn, Pair, PairState
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.slack_requests import SlackSender, block_action_payload

STUDENT, MENTOR = "U0STUDENT", "U0MENTOR"
NOTE = "I would love guidance on surgical residencies"
UPDATE = "Shadowed in the OR twice; question about research electives"
ACK_LIMIT = 3.0


def button_value(call: SlackCall, action_id: str) -> str:
    blocks = call.args["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {blocks}")


def to(channel: str):
    return lambda call: call.args.get("channel") == channel


def command_text(slack: SlackSender, command: str, text: str, *, user: str) -> str:
    """Run a command and return what the user sees: the ack, or the response_url follow-up."""
    reply, response_url = slack.command(command, text, user=user)
    assert reply.status == 200
    assert reply.seconds < ACK_LIMIT
    if reply.body:
        return json.dumps(reply.json)
    return json.dumps(slack.fake_slack.wait_for_response(response_url)[-1])


@pytest.fixture
def active_pair(slack: SlackSender, fake_slack: FakeSlack) -> str:
    """The student asks, the mentor accepts; returns the check-in space's channel ID."""
    fake_slack.add_user(STUDENT, tz="America/New_York")
    fake_slack.add_user(MENTOR, tz="America/Chicago")
    shown = command_text(slack, "/mentor", f"request <@{MENTOR}|patel> {NOTE}", user=STUDENT)
    assert "Your request went to" in shown
    (request_dm,) = fake_slack.wait_for("chat.postMessage", to(MENTOR))
    assert NOTE in json.dumps(request_dm.args)
    accept = block_action_payload(
        user=MENTOR,
        action_id="pair_accept",
        value=button_value(request_dm, "pair_accept"),
        response_url=fake_slack.new_response_url(),
    )
    assert slack.interaction(accept).status == 200
    (opened,) = fake_slack.wait_for("conversations.open")
    assert set(opened.args["users"].split(",")) == {STUDENT, MENTOR}
    welcome = fake_slack.wait_for(
        "chat.postMessage", lambda c: "Welcome" in str(c.args.get("text"))
    )
    return str(welcome[0].args["channel"])


def test_student_and_mentor_complete_a_check_in(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, active_pair: str
) -> None:
    space = active_pair
    fake_slack.wait_for("chat.postMessage", to(STUDENT))  # "you are now paired"

    assert "Goal 1 added" in command_text(
        slack, "/goal", "add Draft my personal statement by 2099-03-01", user=STUDENT
    )
    assert "Goal 2 added" in command_text(slack, "/goal", "add Shadow in surgery", user=STUDENT)

    assert "Posted to your check-in space" in command_text(slack, "/checkin", UPDATE, user=STUDENT)
    fake_slack.wait_for(
        "chat.postMessage", lambda c: to(space)(c) and "Check-in from" in str(c.args.get("text"))
    )
    post_ts = next(m["ts"] for m in fake_slack.messages(space) if "Check-in from" in m["text"])

    reply_event = {
        "type": "message",
        "channel": space,
        "channel_type": "mpim",
        "user": MENTOR,
        "text": "Great progress — let's talk electives Thursday",
        "ts": f"{time.time():.6f}",
        "thread_ts": post_ts,
    }
    assert slack.event(reply_event, event_id="Ev0REPLY").status == 200
    fake_slack.wait_for("reactions.add")
    assert slack.event(reply_event, event_id="Ev0REPLY", retry=1).status == 200
    time.sleep(0.3)
    assert len(fake_slack.calls_to("reactions.add")) == 1

    with database.sessions() as session:
        (checkin,) = session.execute(select(CheckIn)).scalars().all()
        assert checkin.mentee_checked_in_at is not None
        assert checkin.mentor_responded_at is not None
        assert checkin.completed_at is not None
        pair = session.execute(select(Pair)).scalar_one()
        assert pair.state is PairState.ACTIVE
        assert pair.last_complete_checkin_at == checkin.completed_at

    listed = command_text(slack, "/mentor", "list", user=STUDENT)
    assert MENTOR in listed and "every 2 weeks on Tuesday at 09:00" in listed
    goals = command_text(slack, "/goal", "list", user=MENTOR)
    assert "Draft my personal statement" in goals and "Shadow in surgery" in goals
    status = command_text(slack, "/checkin", "status", user=STUDENT)
    # Times on the reader's own clock, saying so, with the mentor's (Chicago) clock beside.
    assert "Last complete check-in: " in status and "your time" in status
    assert f"for <@{MENTOR}>" in status and "<!date^" not in status

    def for_student(call: SlackCall) -> bool:
        return call.args["user_id"] == STUDENT

    published = len([c for c in fake_slack.calls_to("views.publish") if for_student(c)])
    slack.event({"type": "app_home_opened", "user": STUDENT, "channel": "D0X", "tab": "home"})
    home = fake_slack.wait_for("views.publish", for_student, count=published + 1)
    shown_home = json.dumps(home[-1].args["view"])
    assert "Draft my personal statement" in shown_home and "Recent check-ins" in shown_home

    # Privacy: the note, the update and the reply live in Slack only.
    assert_database_holds_none_of(database, [NOTE, UPDATE, "electives Thursday"])


def assert_database_holds_none_of(database: Database, phrases: list[str]) -> None:
    inspector = inspect(database.engine)
    with database.engine.connect() as connection:
        for table in inspector.get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                flat = " ".join(str(value) for value in row)
                for phrase in phrases:
                    assert phrase not in flat, f"{table} stores {phrase!r}"
