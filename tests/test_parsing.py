"""How Rounds reads what people type after a slash command."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain.cadence import Cadence, WorkingHours, parse_cadence
from bot.domain.errors import UserError
from bot.listeners.parsing import (
    leading_mention,
    parse_goal_add,
    parse_pause,
    split_subcommand,
)
from bot.store.models import CadenceUnit

HOURS = WorkingHours()
DEFAULT = Cadence()
TODAY = date(2027, 1, 6)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("request <@U1> hi", ("request", "<@U1> hi")),
        ("  LIST  ", ("list", "")),
        ("", ("", "")),
    ],
)
def test_the_first_word_is_the_subcommand(text: str, expected: tuple[str, str]) -> None:
    assert split_subcommand(text) == expected


@pytest.mark.parametrize(
    ("text", "user", "rest"),
    [
        ("<@U012ABC|jane> hello there", "U012ABC", "hello there"),
        ("<@W0ENTERPRISE>", "W0ENTERPRISE", ""),
    ],
)
def test_slack_escaped_mentions_become_user_ids(text: str, user: str, rest: str) -> None:
    assert leading_mention(text, who="someone", example="x") == (user, rest)


@pytest.mark.parametrize(
    ("text", "goal", "due", "mentor"),
    [
        ("Draft my statement", "Draft my statement", None, None),
        ("Draft my statement by 2027-03-01", "Draft my statement", date(2027, 3, 1), None),
        ("Draft it for <@U2|patel>", "Draft it", None, "U2"),
        ("Draft it by 2027-03-01 for <@U2>", "Draft it", date(2027, 3, 1), "U2"),
        ("Draft it for <@U2> by 2027-03-01", "Draft it", date(2027, 3, 1), "U2"),
        ("Stand by my friends", "Stand by my friends", None, None),
    ],
)
def test_goal_add_reads_optional_date_and_mentor_at_the_end(
    text: str, goal: str, due: date | None, mentor: str | None
) -> None:
    parsed = parse_goal_add(text, today=TODAY)
    assert (parsed.text, parsed.due_on, parsed.mentor_user_id) == (goal, due, mentor)


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("until 2027-02-01", date(2027, 2, 1)),
        ("for 3 weeks", date(2027, 1, 26)),
        ("for 1 week", date(2027, 1, 12)),
    ],
)
def test_pause_until_a_date_or_for_weeks(text: str, until: date) -> None:
    assert parse_pause(text, today=date(2027, 1, 5)) == until


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("weekly", Cadence(CadenceUnit.WEEK, 1, 1, time(9))),
        ("every 3 weeks", Cadence(CadenceUnit.WEEK, 3, 1, time(9))),
        ("every 8 weeks on fri", Cadence(CadenceUnit.WEEK, 8, 4, time(9))),
        ("monthly on Thursday at 16:00", Cadence(CadenceUnit.MONTH, 1, 3, time(16))),
        ("Every  2  Weeks at 9:30", Cadence(CadenceUnit.WEEK, 2, 1, time(9, 30))),
    ],
)
def test_cadence_phrases(text: str, expected: Cadence) -> None:
    assert parse_cadence(text, current=DEFAULT, hours=HOURS) == expected


def test_cadence_keeps_the_parts_you_leave_out() -> None:
    current = Cadence(CadenceUnit.WEEK, 2, 3, time(15))
    assert parse_cadence("weekly", current=current, hours=HOURS) == Cadence(
        CadenceUnit.WEEK, 1, 3, time(15)
    )


@pytest.mark.parametrize(
    "text", ["", "often", "every 9 weeks", "every -1 weeks", "weekly on Sunday", "weekly at 8:00"]
)
def test_cadence_outside_the_rules_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_cadence(text, current=DEFAULT, hours=HOURS)
    assert raised.value.example and raised.value.example.startswith("/mentor cadence")


def test_describing_a_cadence() -> None:
    assert Cadence().describe() == "every 2 weeks on Tuesday at 09:00"
    assert Cadence(CadenceUnit.WEEK, 1, 0, time(10)).describe() == "weekly on Monday at 10:00"
    assert Cadence(CadenceUnit.MONTH, 1, 4, time(9)).describe() == "monthly on Friday at 09:00"


def test_by_starts_a_due_date_only_before_something_date_shaped() -> None:
    parsed = parse_goal_add("Read the paper recommended by Patel", today=TODAY)
    assert (parsed.text, parsed.due_on) == ("Read the paper recommended by Patel", None)
