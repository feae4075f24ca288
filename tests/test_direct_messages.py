"""A message to Rounds in its Messages tab is answered with the help, never ignored."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sandbox.fake_slack import FakeSlack
from tests.slack_requests import SlackSender

DM = "D0STUDENT"


def _message(**fields: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": DM,
        "channel_type": "im",
        "user": "U0STUDENT",
        "text": "hi, how do I find a mentor?",
        "ts": f"{time.time():.6f}",
    } | fields


def test_a_message_to_rounds_gets_the_help(slack: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.add_channel(DM, members=["U0STUDENT"])
    assert slack.event(_message()).status == 200
    (call,) = fake_slack.wait_for("chat.postMessage")
    assert call.args["channel"] == DM
    assert "slash commands" in call.args["text"]
    assert "/mentor request" in str(call.args["blocks"])
    # What the person wrote is not repeated back, stored or needed.
    assert "find a mentor" not in str(call.args)


@pytest.mark.parametrize(
    ("how", "fields"),
    [
        ("an edit", {"subtype": "message_changed"}),
        ("a bot's post", {"bot_id": "B0OTHER"}),
        ("a thread reply", {"thread_ts": "1700000000.000100"}),
        ("a group DM", {"channel_type": "mpim", "channel": "G0SPACE"}),
    ],
)
def test_other_messages_get_no_help(
    slack: SlackSender, fake_slack: FakeSlack, how: str, fields: dict[str, Any]
) -> None:
    fake_slack.add_channel(DM, members=["U0STUDENT"])
    assert slack.event(_message(**fields)).status == 200, how
    time.sleep(0.3)  # a wrong answer would be on its way by now
    assert fake_slack.calls_to("chat.postMessage") == [], how


def test_the_same_event_retried_by_slack_is_answered_once(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel(DM, members=["U0STUDENT"])
    message = _message()
    slack.event(message, event_id="Ev0DM1")
    fake_slack.wait_for("chat.postMessage")
    slack.event(message, event_id="Ev0DM1", retry=1)
    time.sleep(0.3)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
