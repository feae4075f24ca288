"""Typos are questions, not check-ins: `/checkin statsu` asks "Did you mean `/checkin
status`?" and posts nothing; `/mentor lsit` and `/goal hlep` say the same. And the author
of a check-in post can take it back while nobody has answered."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from bot.domain.typos import near_miss
from bot.listeners.commands import checkin, goal, mentor
from bot.service import Database
from bot.store.models import CheckIn
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.slack_requests import SlackSender
from tests.test_journey import command_text

STUDENT, MENTOR, SPACE = "U0STUDENT", "U0MENTOR", "G0SPACE"


@pytest.mark.parametrize(
    ("word", "subcommands", "meant"),
    [
        ("statsu", checkin.SUBCOMMANDS, "status"),
        ("stauts", checkin.SUBCOMMANDS, "status"),
        ("status?", checkin.SUBCOMMANDS, "status"),
        ("hlep", checkin.SUBCOMMANDS, "help"),
        ("Help!", checkin.SUBCOMMANDS, "help"),
        ("delet", checkin.SUBCOMMANDS, "delete"),
        ("lsit", mentor.SUBCOMMANDS, "list"),
        ("requst", mentor.SUBCOMMANDS, "request"),
        ("puase", mentor.SUBCOMMANDS, "pause"),
        ("cadnece", mentor.SUBCOMMANDS, "cadence"),
        ("huors", mentor.SUBCOMMANDS, "hours"),
        ("hlep", goal.SUBCOMMANDS, "help"),
        ("lsit", goal.SUBCOMMANDS, "list"),
        ("dnoe", goal.SUBCOMMANDS, "done"),
    ],
)
def test_near_misses_are_recognised(word: str, subcommands: dict, meant: str) -> None:
    assert near_miss(word, subcommands) == meant


@pytest.mark.parametrize(
    "word",
    [
        "status",  # the real thing is no typo
        "busy",
        "stuck",
        "tired",
        "thanks",
        "matched",
        "shadowing",
        "studying",
        "exhausted",
        "update",
        "ok",
        "good",
        "sick",
        "stable",
    ],
)
def test_real_one_word_updates_are_not_typos(word: str) -> None:
    assert near_miss(word, checkin.SUBCOMMANDS) is None


@pytest.fixture
def pair_id(database: Database, fake_slack: FakeSlack) -> int:
    fake_slack.add_channel(SPACE, members=[STUDENT, MENTOR])
    return make_pair(database, mentee=STUDENT, mentor=MENTOR, channel=SPACE)


@pytest.mark.parametrize(
    ("command", "text", "suggestion"),
    [
        ("/checkin", "statsu", "Did you mean `/checkin status`?"),
        ("/checkin", "hlep", "Did you mean `/checkin help`?"),
        ("/checkin", "list", "Did you mean `/mentor list` or `/goal list`?"),
        ("/mentor", "lsit", "Did you mean `/mentor list`?"),
        ("/mentor", f"requst <@{MENTOR}> hi", "Did you mean `/mentor request`?"),
        ("/mentor", "hlep", "Did you mean `/mentor help`?"),
        ("/goal", "hlep", "Did you mean `/goal help`?"),
        ("/goal", "lsit", "Did you mean `/goal list`?"),
        ("/goal", "dnoe 1", "Did you mean `/goal done`?"),
    ],
)
def test_a_typo_asks_what_was_meant_and_posts_nothing(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    pair_id: int,
    command: str,
    text: str,
    suggestion: str,
) -> None:
    shown = command_text(slack, command, text, user=STUDENT)
    assert suggestion in shown
    assert fake_slack.messages(SPACE) == []
    assert not fake_slack.calls_to("chat.postMessage")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_a_one_word_update_that_is_no_typo_is_posted(
    slack: SlackSender, fake_slack: FakeSlack, pair_id: int
) -> None:
    assert "Posted to your check-in space" in command_text(
        slack, "/checkin", "Matched!", user=STUDENT
    )
    assert "Matched!" in fake_slack.messages(SPACE)[0]["text"]


# --- taking a check-in back -----------------------------------------------------------------------


def post_update(slack: SlackSender, fake_slack: FakeSlack, words: str) -> str:
    command_text(slack, "/checkin", words, user=STUDENT)
    return next(m["ts"] for m in fake_slack.messages(SPACE) if words in m["text"])


def test_the_author_deletes_an_unanswered_check_in(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    post_update(slack, fake_slack, "Sorry, wrong space — ignore this")
    shown = command_text(slack, "/checkin", "delete", user=STUDENT)
    assert "Deleted your check-in" in shown and "your time" in shown
    (deleted,) = fake_slack.calls_to("chat.delete")
    assert deleted.args["channel"] == SPACE
    assert fake_slack.messages(SPACE) == []
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 0
    assert "no unanswered check-in" in command_text(slack, "/checkin", "delete", user=STUDENT)


def test_an_answered_check_in_stays(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    ts = post_update(slack, fake_slack, "Question about electives")
    reply = {
        "type": "message",
        "channel": SPACE,
        "channel_type": "mpim",
        "user": MENTOR,
        "text": "Happy to talk Thursday",
        "ts": f"{time.time():.6f}",
        "thread_ts": ts,
    }
    assert slack.event(reply).status == 200
    fake_slack.wait_for("reactions.add")
    shown = command_text(slack, "/checkin", "delete", user=STUDENT)
    assert "no unanswered check-in" in shown
    assert not fake_slack.calls_to("chat.delete")
    assert len(fake_slack.messages(SPACE)) == 1


def test_a_mentor_cannot_delete_a_mentees_check_in(
    slack: SlackSender, fake_slack: FakeSlack, pair_id: int
) -> None:
    post_update(slack, fake_slack, "My update")
    shown = json.loads(command_text(slack, "/checkin", "delete", user=MENTOR))
    assert shown["text"].startswith(":warning:") and "author" in shown["text"]
    assert not fake_slack.calls_to("chat.delete")
