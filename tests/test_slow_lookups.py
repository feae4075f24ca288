"""A slow Slack never costs the ack: look-ups before it share one deadline well inside Slack's
3 seconds; what does not fit is answered through the response_url, and the check-in form's
pair picker opens while its trigger is alive, with names from memory or none at all."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.service import Database
from bot.store.models import Pair, PairState
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.factories import make_pair
from tests.slack_requests import SlackSender

STUDENT, MENTOR, OTHER_MENTOR, COORDINATOR = "U0STUDENT", "U0MENTOR", "U0MENTOR2", "UCOORD"
# Longer than the look-up client waits (2 s), so every look-up before the ack times out.
SLOW = 2.5
# Slack's: a trigger_id opens a view for 3 seconds after the user acted.
TRIGGER_LIFE = 3.0
LATER = 15.0  # how long a test waits for an answer that comes through the response_url


def test_pairing_when_slack_is_slow_acks_first_and_answers_later(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    fake_slack.delay("users.info", SLOW, times=3)  # the coordinator, the mentee, the mentor
    reply, response_url = slack.command(
        "/mentor", f"pair <@{STUDENT}> <@{MENTOR}>", user=COORDINATOR
    )
    print(f"ack after {reply.seconds:.2f}s with users.info {SLOW}s slow")
    assert reply.status == 200
    assert reply.body == b"", "the ack waited for the look-ups"
    (answered,) = fake_slack.wait_for_response(response_url, timeout=LATER)
    assert "Paired" in answered["text"], answered
    with database.sessions() as session:
        assert session.execute(select(Pair.state)).scalar_one() is PairState.ACTIVE


def test_a_request_when_slack_is_slow_acks_first_and_answers_later(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.delay("users.info", SLOW, times=2)  # the student, the mentor
    reply, response_url = slack.command("/mentor", f"request <@{MENTOR}> hi", user=STUDENT)
    print(f"ack after {reply.seconds:.2f}s with users.info {SLOW}s slow")
    assert reply.status == 200
    assert reply.body == b"", "the ack waited for the look-ups"
    (answered,) = fake_slack.wait_for_response(response_url, timeout=LATER)
    assert "Your request went to" in answered["text"], answered
    fake_slack.wait_for("chat.postMessage", lambda call: call.args.get("channel") == MENTOR)


def test_a_person_who_left_is_refused_clearly_when_slack_is_slow(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0GONE", deleted=True)
    fake_slack.delay("users.info", SLOW, times=2)
    reply, response_url = slack.command("/mentor", "request <@U0GONE> hi", user=STUDENT)
    assert reply.status == 200
    assert reply.body == b"", "the ack waited for the look-ups"
    (answered,) = fake_slack.wait_for_response(response_url, timeout=LATER)
    assert "<@U0GONE> has left this workspace" in answered["text"], answered


@pytest.mark.parametrize("fault", [{"status": 503}, {"status": 429, "retry_after": 1}])
def test_a_look_up_slack_refuses_for_a_moment_is_asked_again_after_the_ack(
    slack: SlackSender, fake_slack: FakeSlack, fault: dict[str, int]
) -> None:
    fake_slack.add_user(STUDENT)
    slack.command("/mentor", "list", user=STUDENT)  # the student's profile is fresh
    fake_slack.fail_next("users.info", **fault)
    reply, response_url = slack.command("/mentor", f"request <@{MENTOR}> hi", user=STUDENT)
    assert reply.status == 200
    shown = reply.json if reply.body else fake_slack.wait_for_response(response_url)[0]
    assert "Your request went to" in shown["text"], shown


def test_a_look_up_slack_rejects_is_answered_not_retried(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(STUDENT)
    slack.command("/mentor", "list", user=STUDENT)
    fake_slack.fail_next("users.info", error="missing_scope")
    reply, _ = slack.command("/mentor", f"request <@{MENTOR}> hi", user=STUDENT)
    assert "Slack didn't let me finish that" in reply.json["text"], reply.json
    assert len(fake_slack.calls_to("users.info")) == 2  # the student's earlier, the mentor's


def picker(slack: SlackSender, fake_slack: FakeSlack) -> SlackCall:
    """Open the empty /checkin form; returns the views.open call, which must have worked."""
    before = len(fake_slack.calls_to("views.open"))
    reply, response_url = slack.command("/checkin", "", user=STUDENT)
    assert reply.status == 200
    opened = fake_slack.wait_for("views.open", count=before + 1, timeout=LATER)[-1]
    assert opened.error is None, (opened.error, fake_slack.wait_for_response(response_url))
    return opened


def labels(call: SlackCall) -> dict[str, str]:
    view = call.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    (chooser,) = [block for block in view["blocks"] if block.get("block_id") == "pair"]
    return {option["value"]: option["text"]["text"] for option in chooser["element"]["options"]}


def test_the_pair_picker_opens_in_time_with_names_it_remembers(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    fake_slack.add_user(MENTOR, name="Dr. Patel")
    fake_slack.add_user(OTHER_MENTOR, name="Dr. Okafor")
    first = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    second = make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR)
    expected = {str(first): "Dr. Patel", str(second): "Dr. Okafor"}
    assert labels(picker(slack, fake_slack)) == expected

    fake_slack.trigger_life = TRIGGER_LIFE
    fake_slack.delay("users.info", SLOW, times=3)
    assert labels(picker(slack, fake_slack)) == expected


def test_the_pair_picker_opens_in_time_when_names_do_not_come(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    first = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    second = make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR)
    fake_slack.trigger_life = TRIGGER_LIFE
    fake_slack.delay("users.info", SLOW, times=3)
    shown = labels(picker(slack, fake_slack))
    assert set(shown) == {str(first), str(second)}
    assert len(set(shown.values())) == 2, f"two mentors, two different labels: {shown}"
