"""Every time Rounds shows a person is on their own clock and says so; where the two members
of a pair live in different zones, both clocks appear. Rao, a mentor in Kolkata, reads
"19:30 your time (09:00 for @student)", never a bare 09:00 from somebody else's zone."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time

import pytest

from bot.blocks.times import Zoned, weekly, when, when_shared
from bot.service import Database
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.slack_requests import SlackSender
from tests.test_journey import command_text

STUDENT, RAO, COORDINATOR = "U0STUDENT", "U0RAO", "UCOORD"
NEW_YORK, KOLKATA = "America/New_York", "Asia/Kolkata"
STUDENT_Z, RAO_Z = Zoned(STUDENT, NEW_YORK), Zoned(RAO, KOLKATA)
# Tuesday 19 January 2027, 14:00 UTC: 09:00 in New York, 19:30 in Kolkata.
MOMENT = datetime(2027, 1, 19, 14, 0, tzinfo=UTC)
CLOCK = re.compile(r"\b\d{2}:\d{2}\b")


@pytest.mark.parametrize(
    ("viewer", "others", "expected"),
    [
        (STUDENT_Z, [RAO_Z], "Tue Jan 19, 09:00 your time (Tue 19:30 for <@U0RAO>)"),
        (RAO_Z, [STUDENT_Z], "Tue Jan 19, 19:30 your time (Tue 09:00 for <@U0STUDENT>)"),
        (STUDENT_Z, [Zoned("U0NYC", NEW_YORK)], "Tue Jan 19, 09:00 your time"),
        (STUDENT_Z, [Zoned("U0TORONTO", "America/Toronto")], "Tue Jan 19, 09:00 your time"),
        (STUDENT_Z, [], "Tue Jan 19, 09:00 your time"),
        (Zoned("U0NEW", None), [], "Tue Jan 19, 09:00 New York time"),
    ],
)
def test_a_moment_on_the_readers_clock_with_the_others_beside(
    viewer: Zoned, others: list[Zoned], expected: str
) -> None:
    assert when(MOMENT, viewer, others) == expected


def test_a_moment_in_a_shared_space_names_each_clock() -> None:
    assert when_shared(MOMENT, [STUDENT_Z, RAO_Z]) == (
        "Tue Jan 19, 09:00 for <@U0STUDENT>, Tue Jan 19, 19:30 for <@U0RAO>"
    )
    assert when_shared(MOMENT, [STUDENT_Z, Zoned("U0NYC", NEW_YORK)]) == (
        "Tue Jan 19, 09:00 your time"
    )


@pytest.mark.parametrize(
    ("owner", "at", "viewer", "expected"),
    [
        (
            STUDENT_Z,
            time(9),
            STUDENT_Z,
            "Tuesday at 09:00 your time (Tuesday at 19:30 for <@U0RAO>)",
        ),
        (
            STUDENT_Z,
            time(9),
            RAO_Z,
            "Tuesday at 19:30 your time (Tuesday at 09:00 for <@U0STUDENT>)",
        ),
        # 16:00 on a Tuesday in Los Angeles is already Wednesday morning in Kolkata.
        (
            Zoned(STUDENT, "America/Los_Angeles"),
            time(16),
            RAO_Z,
            "Wednesday at 05:30 your time (Tuesday at 16:00 for <@U0STUDENT>)",
        ),
        (
            STUDENT_Z,
            time(9),
            None,
            "Tuesday at 09:00 for <@U0STUDENT>, Tuesday at 19:30 for <@U0RAO>",
        ),
    ],
)
def test_a_weekly_rhythm_on_each_clock(
    owner: Zoned, at: time, viewer: Zoned | None, expected: str
) -> None:
    others = [RAO_Z] if owner.user == STUDENT else [STUDENT_Z]
    text = weekly(1, at, owner=owner, viewer=viewer, others=others, reference=MOMENT)
    assert text == expected


def test_daylight_saving_moves_only_the_clock_that_changes() -> None:
    # 16 March 2027, after New York moved its clocks (14 March): 09:00 there is 18:30 in Kolkata.
    march = datetime(2027, 3, 16, 13, 0, tzinfo=UTC)
    assert when(march, STUDENT_Z, [RAO_Z]) == "Tue Mar 16, 09:00 your time (Tue 18:30 for <@U0RAO>)"


def clocks_say_whose(text: str) -> list[str]:
    """Every HH:MM in `text` that is not followed by whose clock it is."""
    text = re.sub(r"`[^`]*`", "`…`", text)  # commands and examples, not times shown
    unlabelled = []
    for match in CLOCK.finditer(text):
        after = text[match.end() : match.end() + 40]
        if not re.match(r" (?:your time|[A-Za-z ]*time|for <@[A-Z0-9]+>)", after) and not re.match(
            r"–\d{2}:\d{2}", after
        ):
            unlabelled.append(text[max(0, match.start() - 30) : match.end() + 30])
    return unlabelled


@pytest.fixture
def rao_and_student(slack: SlackSender, fake_slack: FakeSlack) -> str:
    fake_slack.add_user(STUDENT, tz=NEW_YORK)
    fake_slack.add_user(RAO, tz=KOLKATA)
    assert "Paired" in command_text(
        slack, "/mentor", f"pair <@{STUDENT}> <@{RAO}>", user=COORDINATOR
    )
    (welcome,) = fake_slack.wait_for("chat.postMessage", lambda c: "Welcome" in str(c.args))
    return str(welcome.args["channel"])


def home_of(slack: SlackSender, fake_slack: FakeSlack, user: str) -> str:
    def for_user(call: SlackCall) -> bool:
        return call.args["user_id"] == user

    before = len([c for c in fake_slack.calls_to("views.publish") if for_user(c)])
    slack.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"})
    return json.dumps(fake_slack.wait_for("views.publish", for_user, count=before + 1)[-1].args)


def test_every_screen_shows_rao_his_own_clock_and_the_students(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, rao_and_student: str
) -> None:
    space = rao_and_student
    welcome = json.dumps(fake_slack.messages(space)[0]["blocks"])
    assert "Tuesday at 09:00 for <@U0STUDENT>, Tuesday at 19:30 for <@U0RAO>" in welcome

    shown = {
        "list": command_text(slack, "/mentor", "list", user=RAO),
        "status": command_text(slack, "/checkin", "status", user=RAO),
        "home": home_of(slack, fake_slack, RAO),
        "cadence": command_text(
            slack, "/mentor", f"cadence <@{STUDENT}> weekly on Thursday at 10:00", user=RAO
        ),
        "pause": command_text(slack, "/mentor", f"pause <@{STUDENT}> for 2 weeks", user=RAO),
        "resume": command_text(slack, "/mentor", f"resume <@{STUDENT}>", user=RAO),
    }
    assert (
        "every 2 weeks on Tuesday at 19:30 your time (Tuesday at 09:00 for <@U0STUDENT>)"
        in (shown["list"])
    )
    for screen in ("list", "status", "home", "resume"):
        assert re.search(r"Next nudge: \w{3} \w{3} \d+, \d{2}:\d{2} your time \(", shown[screen])
    assert (
        "weekly on Thursday at 20:30 your time (Thursday at 10:00 for <@U0STUDENT>)"
        in (shown["cadence"])
    )
    for screen, text in shown.items():
        assert "<!date^" not in text, screen
        assert clocks_say_whose(text) == [], screen
    student_view = command_text(slack, "/mentor", "list", user=STUDENT)
    assert "weekly on Thursday at 10:00 your time (Thursday at 20:30 for <@U0RAO>)" in student_view
    rhythm_note = fake_slack.messages(space)[-1]["text"]
    assert "set your check-in rhythm to weekly on Thursday at 10:00 for <@U0STUDENT>" in (
        rhythm_note
    )
    assert clocks_say_whose(rhythm_note) == []
