"""Whatever anyone types, every command is acknowledged and answered without an exception."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltContext

from bot.config import Settings
from bot.listeners.commands import COMMANDS, checkin, goal, mentor
from bot.listeners.runtime import SORRY, transactional
from bot.service import Database
from bot.slack_out import make_web_client
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair

STUDENT, MENTOR = "U0STUDENT", "U0MENTOR"
WORDS = [
    "weekly",
    "monthly",
    "every",
    "weeks",
    "on",
    "at",
    "for",
    "until",
    "by",
    "add",
    "Tuesday",
    "Sat",
    "09:00",
    "25:61",
    "2027-01-05",
    "2027-02-30",
    "0",
    "7",
    "-1",
    "99999999999",
    f"<@{MENTOR}>",
    f"<@{STUDENT}|me>",
    "<@UBOT>",
    "<@W0ENTERPRISE>",
    "<#C0CHAN|general>",
    "<!here>",
    "@someone",
    "`code`",
    "*bold*",
    "<https://x.org|x>",
    "🎉",
    "\u202e",
    "\x00",
    "'; DROP TABLE pairs; --",
]
# Every subcommand of every command, and none: the first word decides where text goes.
SUBCOMMAND_WORDS = sorted({*mentor.SUBCOMMANDS, *goal.SUBCOMMANDS, *checkin.SUBCOMMANDS, ""})
tails = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
)
texts = st.one_of(
    st.text(max_size=300),
    st.tuples(st.sampled_from(SUBCOMMAND_WORDS), tails).map(" ".join),
)


class RecordingAck:
    """Stands in for Bolt's Ack: remembers that (and with what) it was called."""

    def __init__(self) -> None:
        self.response: dict[str, Any] | None = None

    def __call__(self, text: str = "", **kwargs: Any) -> None:
        self.response = {"text": text, **kwargs}


class RecordingRespond:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, text: str = "", **kwargs: Any) -> None:
        self.messages.append({"text": text, **kwargs})


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=texts, as_mentee=st.booleans())
def test_any_text_is_answered_without_an_exception(
    command: str,
    text: str,
    as_mentee: bool,
    database: Database,
    settings: Settings,
    fake_slack: FakeSlack,
) -> None:
    if not hasattr(database, "_paired"):
        make_pair(database, mentee=STUDENT, mentor=MENTOR, channel=None)
        database._paired = True  # type: ignore[attr-defined]
    listener = transactional(COMMANDS[command])
    ack, respond = RecordingAck(), RecordingRespond()
    body = {
        "team_id": "T0001",
        "user_id": STUDENT if as_mentee else MENTOR,
        "command": command,
        "text": text,
        "trigger_id": "1.trigger",
        "response_url": fake_slack.new_response_url(),
    }
    context = BoltContext({"session_factory": database.sessions, "settings": settings})
    listener(ack=ack, body=body, client=make_web_client(settings), respond=respond, context=context)
    assert ack.response is not None, "Slack would show an error: the command was never acked"
    said = [ack.response.get("text") or "", *(m["text"] for m in respond.messages)]
    assert SORRY not in said, f"unexpected exception for {command} {text!r}"
    assert any(said) or ack.response.get("blocks") or fake_slack.calls_to("views.open")
