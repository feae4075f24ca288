"""Due dates as people say them: `by Friday`, `by next Friday`, `by Mar 15`, `by 2027-03-01`.

A phrase after "by" that is about time but cannot be read as one date ("by the end of the
rotation", "by 3/15", which is March 15 in Boston and nonsense in Kolkata) is refused with
an example; it never stays in the goal's text as if it were part of the goal.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from bot.domain.errors import UserError

DUE_EXAMPLE = "/goal add Draft my personal statement by Friday"
WHAT_WORKS = "`by Friday`, `by next Friday`, `by Mar 15` or `by 2027-03-01`"

_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
_WEEKDAYS.update({name.lower(): index for index, name in enumerate(calendar.day_abbr)})
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): index for index, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
# Words that make a phrase after "by" about time, so it must be a date Rounds can read.
_TIME_WORDS = frozenset(
    {
        "today",
        "tomorrow",
        "tonight",
        "next",
        "this",
        "end",
        "eod",
        "eow",
        "eom",
        "week",
        "weekend",
        "month",
        "year",
        "semester",
        "term",
        "spring",
        "summer",
        "fall",
        "autumn",
        "winter",
        "noon",
        "midnight",
        "morning",
        "evening",
        "afternoon",
        "christmas",
        "thanksgiving",
        *_WEEKDAYS,
        *_MONTHS,
    }
)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?$"
_MONTH_DAY = re.compile(r"^(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?" + _YEAR)
_DAY_MONTH = re.compile(
    r"^(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>[a-z]+)\.?" + _YEAR
)


def looks_like_a_date(phrase: str) -> bool:
    """Does this phrase after "by" say when ("Friday", "the end of the rotation", "3/15"),
    so that it must be read as a date, or is it part of the goal ("by Dr. Patel", "by
    studying 40 questions a day", "stand by my friends")? Its first word decides."""
    tokens = phrase.lower().split()
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    if not tokens:
        return False
    first = tokens[0].strip(".,;:!?")
    return first[:1].isdigit() or first in _TIME_WORDS


def _refuse(phrase: str) -> UserError:
    return UserError(
        f"{phrase.strip()!r} is not a date I can read. Say {WHAT_WORKS}; nothing was added.",
        example=DUE_EXAMPLE,
    )


def _next_weekday(today: date, weekday: int, *, next_week: bool) -> date:
    if next_week:
        monday = today + timedelta(days=7 - today.weekday())
        return monday + timedelta(days=weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _month_day(month: int, day: int, year: int | None, today: date) -> date:
    years = [year] if year is not None else [today.year, today.year + 1]
    for candidate_year in years:
        candidate = date(candidate_year, month, day)
        if year is not None or candidate >= today:
            return candidate
    raise AssertionError("one of two years has the date")  # pragma: no cover


def parse_due(phrase: str, *, today: date) -> date:
    """The date a phrase means, on the calendar of the person who typed it (`today` is their
    local date). `Friday` is the coming Friday (today, on a Friday); `next Friday` is the
    Friday of next week; `Mar 15` is the next March 15."""
    cleaned = " ".join(phrase.lower().replace(",", " ").split())
    cleaned = re.sub(r"^(?:the\s+)", "", cleaned)
    try:
        if match := _ISO.match(cleaned):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if cleaned in {"today", "tonight", "eod", "end of day", "end of today"}:
            return today
        if cleaned == "tomorrow":
            return today + timedelta(days=1)
        if cleaned in {"end of the week", "end of week", "eow", "this week"}:
            return _next_weekday(today, 4, next_week=False)
        if cleaned in {"next week", "end of next week", "the end of next week"}:
            return _next_weekday(today, 4, next_week=True)
        if cleaned in {"end of the month", "end of month", "eom"}:
            return date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
        words = cleaned.split()
        if len(words) in (1, 2) and words[-1] in _WEEKDAYS:
            if len(words) == 2 and words[0] not in {"next", "this", "on"}:
                raise _refuse(phrase)
            return _next_weekday(today, _WEEKDAYS[words[-1]], next_week=words[0] == "next")
        for pattern in (_MONTH_DAY, _DAY_MONTH):
            if (match := pattern.match(cleaned)) and match["month"] in _MONTHS:
                year = int(match["year"]) if match["year"] else None
                return _month_day(_MONTHS[match["month"]], int(match["day"]), year, today)
    except ValueError:
        pass  # "Feb 30", "2027-02-30"
    raise _refuse(phrase)
