"""A pair's rhythm — "every 2 weeks on Tuesday at 09:00" — and the local dates it produces.

All arithmetic happens on local dates and wall-clock times, then becomes an instant in the
recipient's zone, so a 09:00 prompt stays 09:00 across DST changes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import UserError
from bot.domain.words import parse_clock, parse_count
from bot.store.models import CadenceUnit

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_WEEKS = 8
CADENCE_EXAMPLE = "/mentor cadence @Dr. Patel every 3 weeks on Thursday at 16:00"
DEFAULT_ZONE = "America/New_York"


@dataclass(frozen=True)
class WorkingHours:
    start: time = time(9, 0)
    end: time = time(17, 0)

    def contains(self, moment: time) -> bool:
        return self.start <= moment <= self.end


@dataclass(frozen=True)
class Cadence:
    unit: CadenceUnit = CadenceUnit.WEEK
    interval: int = 2
    weekday: int = 1  # Tuesday
    at: time = time(9, 0)

    def frequency(self) -> str:
        if self.unit is CadenceUnit.MONTH:
            return "monthly"
        if self.interval == 1:
            return "weekly"
        return f"every {self.interval} weeks"

    def describe(self) -> str:
        return f"{self.frequency()} on {WEEKDAYS[self.weekday]} at {self.at:%H:%M}"


def zone(name: str | None) -> ZoneInfo:
    """The user's Slack zone; an unknown or missing one falls back rather than failing a nudge."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def _weekday(word: str) -> int:
    word = word.lower().rstrip(",.")
    if word.endswith("s") and word[:-1] in {name.lower() for name in WEEKDAYS}:
        word = word[:-1]  # "on Thursdays"
    for index, name in enumerate(WEEKDAYS):
        if len(word) >= 3 and name.lower().startswith(word):
            return index
    raise UserError(f"I don't know the weekday {word!r}.", example=CADENCE_EXAMPLE)


def _clock(text: str, hours: WorkingHours) -> time:
    moment = parse_clock(text, example=CADENCE_EXAMPLE)
    if not hours.contains(moment):
        raise UserError(
            f"Nudges go out in working hours, {hours.start:%H:%M}–{hours.end:%H:%M} in the "
            f"mentee's zone; {moment:%H:%M} is outside them.",
            example=CADENCE_EXAMPLE,
        )
    return moment


# "weekly", "every week", "every two weeks", "every other week", "fortnightly", "monthly",
# then "on <weekday>" and "at <time>" in either order; the time may hold a space ("7:30 pm").
_EVERY = re.compile(
    r"^(?:(?P<weekly>weekly|every\s+week)|(?P<monthly>monthly|every\s+month)"
    r"|(?P<fortnightly>fortnightly|every\s+other\s+week)"
    r"|every\s+(?P<n>\S+)\s+weeks?)(?P<rest>(?:\s.*)?)$",
    re.IGNORECASE,
)
_ON = re.compile(r"\bon\s+(?P<weekday>\S+)", re.IGNORECASE)
_AT = re.compile(r"\bat\s+(?P<at>.+?)(?=\s+on\s|$)", re.IGNORECASE)


def parse_cadence(text: str, *, current: Cadence, hours: WorkingHours) -> Cadence:
    """Parse `weekly|every N weeks|monthly [on <weekday>] [at <time>]`; omitted parts stay.
    Numbers may be words (`every two weeks`), times may be `7pm` or `7:30 pm`. `hours` are
    the mentee's: the prompt follows their zone."""
    match = _EVERY.match(" ".join(text.split()))
    problem = UserError(
        "Say how often: weekly, every N weeks (2 to 8) or monthly, optionally with "
        "a weekday and a time.",
        example=CADENCE_EXAMPLE,
    )
    if not match:
        raise problem
    rest = match["rest"].strip()
    on, at = _ON.search(rest), _AT.search(rest)
    leftover = rest
    for found in (on, at):
        if found is not None:
            leftover = leftover.replace(found.group(0), " ", 1)
    if leftover.strip():
        raise problem
    unit, interval = CadenceUnit.WEEK, 1
    if match["monthly"]:
        unit = CadenceUnit.MONTH
    elif match["fortnightly"]:
        interval = 2
    elif match["n"]:
        weeks = parse_count(match["n"])
        if weeks is None or not 1 <= weeks <= MAX_WEEKS:
            raise UserError(
                f"Check-ins can be weekly up to every {MAX_WEEKS} weeks; "
                f"{match['n']!r} weeks is outside that.",
                example=CADENCE_EXAMPLE,
            )
        interval = weeks
    weekday = _weekday(on["weekday"]) if on else current.weekday
    if weekday >= 5:
        raise UserError(
            "Nudges go out on weekdays only; pick Monday to Friday.", example=CADENCE_EXAMPLE
        )
    moment = _clock(at["at"], hours) if at else current.at
    return Cadence(unit=unit, interval=interval, weekday=weekday, at=moment)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_prompt_date(cadence: Cadence, *, anchor: date) -> date:
    """The first chosen weekday on or after one cadence period from the anchor date."""
    if cadence.unit is CadenceUnit.MONTH:
        target = add_months(anchor, 1)
    else:
        target = anchor + timedelta(weeks=cadence.interval)
    return target + timedelta(days=(cadence.weekday - target.weekday()) % 7)


def local_instant(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """Wall-clock time on a date, as a UTC instant. A time skipped by DST moves forward."""
    naive_local = datetime.combine(day, moment)
    for fold in (0, 1):
        candidate = naive_local.replace(tzinfo=tz, fold=fold)
        round_trip = candidate.astimezone(UTC).astimezone(tz)
        if round_trip.replace(tzinfo=None) == naive_local:
            return candidate.astimezone(UTC)
    # Inside a spring-forward gap: fold=0 reads the time with the pre-gap offset, which
    # lands as far past the gap as the time was into it (02:30 → 03:30).
    return naive_local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(day: date, count: int) -> date:
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def next_working_day(day: date) -> date:
    return add_working_days(day, 1)


def next_working_moment(now: datetime, tz: ZoneInfo, hours: WorkingHours) -> datetime:
    """`now` if it is inside working hours on a weekday in `tz`, else the next start of them."""
    local = now.astimezone(tz)
    day = local.date()
    if is_working_day(day) and hours.contains(local.time().replace(tzinfo=None)):
        return now
    if not is_working_day(day) or local.time().replace(tzinfo=None) > hours.end:
        day = next_working_day(day)
    return local_instant(day, hours.start, tz)
