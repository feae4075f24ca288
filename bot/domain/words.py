"""Words people type for numbers and clock times: `two`, `7pm`, `7:30 pm`, `07:30`, `noon`."""

from __future__ import annotations

import re
from datetime import time

from bot.domain.errors import UserError

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "twenty": 20,
    "twenty-six": 26,
}

_CLOCK = re.compile(
    r"^(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<half>a\.?m\.?|p\.?m\.?)?$",
    re.IGNORECASE,
)
_NAMED_TIMES = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def parse_count(word: str) -> int | None:
    """`3` or `three` → 3; anything else (including `³` or `-1`) → None."""
    word = word.strip().lower()
    if word.isascii() and word.isdigit() and len(word) <= 6:
        return int(word)
    return NUMBER_WORDS.get(word)


def parse_clock(text: str, *, example: str) -> time:
    """A wall-clock time: `07:30`, `7:30`, `19:00`, `7pm`, `7:30 pm`, `7.30am`, `noon`."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    match = _CLOCK.match(cleaned)
    problem = UserError(
        f"{text.strip()!r} is not a time; write it like 07:30, 16:00, 7pm or 7:30 pm.",
        example=example,
    )
    if not match:
        raise problem
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").replace(".", "")
    if minute > 59:
        raise problem
    if half:
        if not 1 <= hour <= 12:
            raise problem
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match["minute"] is None:
        raise problem  # a bare "7" could be morning or evening
    if hour > 23:
        raise problem
    return time(hour, minute)
