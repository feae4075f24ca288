"""Every Block Kit builder, fed ordinary and extreme data, produces what Slack accepts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import checkins, goals, help, home, pairs

NOW = datetime(2027, 1, 5, 14, 0, tzinfo=UTC)
LONG = "Lorem ipsum dolor sit amet " * 200  # 5,400 characters
MESSAGE_BLOCKS, VIEW_BLOCKS, SECTION_TEXT, MODAL_TITLE, ACTION_ID = 50, 100, 3000, 24, 255


def pair_line(index: int = 0, **overrides: Any) -> pairs.PairLine:
    fields: dict[str, Any] = {
        "role": "mentor" if index % 2 else "mentee",
        "other": f"U{index:08d}",
        "state": "active",
        "cadence": "every 2 weeks on Tuesday at 09:00",
        "last_checkin": NOW,
        "next_nudge": NOW,
        "going_cold": index % 3 == 0,
    }
    return pairs.PairLine(**(fields | overrides))


GOALS = [home.GoalLine(n, f"Goal {n}: {LONG[:290]}", "2027-03-01") for n in range(1, 40)]


def home_pairs(count: int) -> list[home.HomePair]:
    return [home.HomePair(pair_id=n, line=pair_line(n), open_goals=GOALS) for n in range(count)]


MESSAGES: dict[str, Callable[[], tuple[str, list[dict[str, Any]]]]] = {
    "help": lambda: (help.help_text(), help.help_blocks()),
    "request": lambda: pairs.request_dm(pair_id=1, mentee="U1", note=LONG),
    "request without note": lambda: pairs.request_dm(pair_id=1, mentee="U1", note=""),
    "accepted": lambda: pairs.request_answered(mentee="U1", accepted=True),
    "declined": lambda: pairs.request_answered(mentee="U1", accepted=False),
    "welcome": lambda: pairs.welcome(mentee="U1", mentor="U2", cadence="weekly"),
    "no pairs": lambda: pairs.pair_list([]),
    "many pairs": lambda: pairs.pair_list([pair_line(n) for n in range(200)]),
    "pending pair": lambda: pairs.pair_list([pair_line(state="pending", last_checkin=None)]),
    "end": lambda: pairs.end_confirmation(pair_id=1, label="<@U2>"),
    "no goals": lambda: goals.goal_list([]),
    "many goals": lambda: goals.goal_list(
        [goals.PairGoals("U1", f"U{n}", n % 2 == 0, GOALS, GOALS) for n in range(30)]
    ),
    "which mentor": lambda: goals.choose_pair(
        choices=[(n, f"U{n}") for n in range(9)],
        payload={"text": "x" * 300, "due": None},
        once="0123abcd",
    ),
    "check-in post": lambda: checkins.checkin_post(
        pair_id=1,
        mentee="U1",
        mentor="U2",
        update=checkins.Update(LONG, LONG, LONG, GOALS, "2027-01-04"),
    ),
    "which space": lambda: checkins.choose_pair(
        choices=[(n, f"U{n}") for n in range(9)], update="hi", once="0123abcd"
    ),
    "status": lambda: checkins.status(
        [checkins.PairStatus(f"U{n}", n % 2 == 0, "active", NOW, NOW, GOALS) for n in range(60)]
    ),
    "empty status": lambda: checkins.status([]),
}

VIEWS: dict[str, Callable[[], dict[str, Any]]] = {
    "home, new user": lambda: home.home_view(pairs=[], recent=[], program=None),
    "home, busy coordinator": lambda: home.home_view(
        pairs=home_pairs(40),
        recent=[home.RecentCheckIn(NOW, f"U{n}", n % 2 == 0) for n in range(5)],
        program=home.Program(400, 20, 7, 1234, [(f"U{n}", f"U{n + 1}") for n in range(80)]),
    ),
    "check-in form, several mentors": lambda: checkins.checkin_modal(
        pairs=[(n, f"Dr. {LONG[:90]}") for n in range(150)], goals=GOALS
    ),
    "check-in form, one mentor": lambda: checkins.checkin_modal(pairs=[(1, "")], goals=GOALS[:3]),
    "goal form": lambda: goals.add_goal_modal(pair_id=1, mentor="U2"),
}


def walk(value: Any) -> list[dict[str, Any]]:
    """Every dict nested anywhere in a block structure."""
    found = []
    if isinstance(value, dict):
        found.append(value)
        for child in value.values():
            found.extend(walk(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(walk(child))
    return found


def check_limits(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        Block.parse(block).validate_json()  # slack_sdk raises on what Slack would reject
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= SECTION_TEXT
    for element in walk(blocks):
        if "action_id" in element:
            assert len(element["action_id"]) <= ACTION_ID
        if element.get("type") == "button" and "value" in element:
            assert len(element["value"]) <= 2000


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_messages_fit_slacks_limits(name: str) -> None:
    text, blocks = MESSAGES[name]()
    assert text, "a message needs fallback text for notifications"
    assert 0 < len(blocks) <= MESSAGE_BLOCKS
    check_limits(blocks)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_fit_slacks_limits(name: str) -> None:
    view = VIEWS[name]()
    View(**view).validate_json()
    assert len(view["blocks"]) <= VIEW_BLOCKS
    if view["type"] == "modal":
        assert len(view["title"]["text"]) <= MODAL_TITLE
    check_limits(view["blocks"])


def test_the_limit_checks_can_fail() -> None:
    """Guard against a vacuous suite: an oversized section is rejected."""
    with pytest.raises(Exception):  # noqa: B017, PT011 — slack_sdk's error type varies by version
        Block.parse(
            {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
        ).validate_json()


def test_a_long_check_in_is_posted_whole() -> None:
    """The form allows 3 × 1,000 characters, /checkin 3,000: every word reaches the space."""
    update = checkins.Update(
        mind="m" * 2999 + "M",
        questions="q" * 999 + "Q",
        challenges="c" * 999 + "C",
        goals_moved=GOALS[:2],
        met_on="2027-01-04",
    )
    _, blocks = checkins.checkin_post(pair_id=1, mentee="U1", mentor="U2", update=update)
    shown = " ".join(block.get("text", {}).get("text", "") for block in blocks)
    for ending in ("M", "Q", "C", "Goal 2", "2027-01-04"):
        assert ending in shown
    assert "…" not in shown
