"""Each person's own working hours (`/mentor hours 07:00-15:00`), and when a pair's
check-in prompt can go out inside both members' hours.

A surgery rotation starts at 06:00, night float sleeps at noon: nudges to a person stay
inside their own hours, in their own zone. A prompt to a check-in space follows the
mentee's zone and hours; it moves to the nearest moment that day inside the mentor's hours
too, where one exists. When the two never overlap, it follows the mentee's hours and both
are told once (see `clash_needs_telling`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.cadence import WorkingHours, is_working_day, local_instant, zone
from bot.domain.errors import UserError
from bot.domain.words import parse_clock
from bot.store.models import Pair, Person

HOURS_EXAMPLE = "/mentor hours 07:00-15:00"
MIN_LENGTH = timedelta(hours=1)
RESET_WORDS = frozenset({"default", "reset", "clear", "off"})
_RANGE_SPLIT = re.compile(r"\s*(?:-|–|—|\bto\b|\buntil\b|\btill\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Member:
    """A person as the scheduler sees them: a zone and working hours."""

    tz: ZoneInfo
    hours: WorkingHours


class ScheduledPerson(Protocol):
    """What scheduling reads of a person: an ORM person, or a row the planner read
    (bot.store.planning.DueMember), so both are scheduled by the same rules."""

    @property
    def tz(self) -> str | None: ...
    @property
    def work_start(self) -> time | None: ...
    @property
    def work_end(self) -> time | None: ...


class ScheduledPair(Protocol):
    @property
    def mentee(self) -> ScheduledPerson: ...
    @property
    def mentor(self) -> ScheduledPerson: ...


def hours_of(person: ScheduledPerson, *, default: WorkingHours) -> WorkingHours:
    if person.work_start is not None and person.work_end is not None:
        return WorkingHours(start=person.work_start, end=person.work_end)
    return default


def member(person: ScheduledPerson, *, default: WorkingHours) -> Member:
    return Member(tz=zone(person.tz), hours=hours_of(person, default=default))


def parse_hours(text: str) -> WorkingHours | None:
    """`07:00-15:00`, `7am-3pm`, `7:30 am to 4 pm`; `default` → None (back to the default)."""
    cleaned = " ".join(text.split())
    if cleaned.lower() in RESET_WORDS:
        return None
    parts = [part for part in _RANGE_SPLIT.split(cleaned) if part]
    if len(parts) != 2:
        raise UserError(
            "Give your working hours as start-end, in your own time zone "
            "(`/mentor hours default` goes back to 09:00-17:00).",
            example=HOURS_EXAMPLE,
        )
    start = parse_clock(parts[0], example=HOURS_EXAMPLE)
    end = parse_clock(parts[1], example=HOURS_EXAMPLE)
    if end <= start:
        raise UserError(
            f"Working hours run from start to end within one day; {start:%H:%M}-{end:%H:%M} "
            "ends before it starts. On nights, pick the hours you are awake and free "
            "(say 16:00-20:00).",
            example=HOURS_EXAMPLE,
        )
    if _length(start, end) < MIN_LENGTH:
        raise UserError("Give Rounds at least an hour a day to reach you.", example=HOURS_EXAMPLE)
    return WorkingHours(start=start, end=end)


def _length(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


def set_hours(person: Person, hours: WorkingHours | None) -> None:
    person.work_start = hours.start if hours is not None else None
    person.work_end = hours.end if hours is not None else None


def in_hours(moment: datetime, who: Member) -> bool:
    """Is `moment` a weekday inside the person's working hours, in their zone?"""
    local = moment.astimezone(who.tz)
    return is_working_day(local.date()) and who.hours.contains(local.time().replace(tzinfo=None))


def _window(day: date, who: Member) -> tuple[datetime, datetime]:
    return local_instant(day, who.hours.start, who.tz), local_instant(day, who.hours.end, who.tz)


def _shared_windows(day: date, mentee: Member, mentor: Member) -> list[tuple[datetime, datetime]]:
    """Stretches of the mentee's working `day` that are inside the mentor's hours too."""
    mentee_start, mentee_end = _window(day, mentee)
    windows = []
    mentor_day = mentee_start.astimezone(mentor.tz).date()
    for offset in (-1, 0, 1):
        candidate = mentor_day + timedelta(days=offset)
        if not is_working_day(candidate):
            continue
        mentor_start, mentor_end = _window(candidate, mentor)
        start, end = max(mentee_start, mentor_start), min(mentee_end, mentor_end)
        if start <= end:
            windows.append((start, end))
    return windows


def _nearest(wanted: datetime, start: datetime, end: datetime) -> datetime:
    return min(max(wanted, start), end)


# Pure, and the same for every pair with the same day, time, zones and hours: a cohort's
# launch or a day of downtime plans thousands of prompts from a handful of distinct answers.
@cache
def prompt_instant(day: date, at: time, *, mentee: Member, mentor: Member) -> datetime:
    """The prompt on the mentee's local `day` at `at` (their wall clock), moved to the nearest
    moment inside both members' hours; without one, the nearest inside the mentee's hours."""
    wanted = local_instant(day, at, mentee.tz)
    best: datetime | None = None
    for start, end in _shared_windows(day, mentee, mentor):
        nearest = _nearest(wanted, start, end)
        if best is None or abs(nearest - wanted) < abs(best - wanted):
            best = nearest
    if best is not None:
        return best
    return _nearest(wanted, *_window(day, mentee))


def never_overlap(mentee: Member, mentor: Member, *, around: date) -> bool:
    """True when no weekday of the week around `around` has time inside both members' hours."""
    monday = around - timedelta(days=around.weekday())
    return not any(
        _shared_windows(monday + timedelta(days=offset), mentee, mentor) for offset in range(5)
    )


def pair_members(pair: ScheduledPair, *, default: WorkingHours) -> tuple[Member, Member]:
    return member(pair.mentee, default=default), member(pair.mentor, default=default)


def clash_needs_telling(pair: Pair, *, default: WorkingHours, now: datetime) -> bool:
    """Whether the pair should now hear, once, that their hours never overlap. Clears the
    once-only mark when the hours overlap again, so a later clash is told again."""
    mentee, mentor = pair_members(pair, default=default)
    clash = never_overlap(mentee, mentor, around=now.astimezone(mentee.tz).date())
    if not clash:
        pair.hours_clash_noted_at = None
        return False
    return pair.hours_clash_noted_at is None


def note_clash_told(pair: Pair, *, now: datetime) -> None:
    pair.hours_clash_noted_at = now


def clash_not_told(pair: Pair) -> None:
    """The notice did not go out after all: the next prompt carries it instead."""
    pair.hours_clash_noted_at = None


@dataclass(frozen=True)
class Clash:
    mentee_hours: WorkingHours
    mentor_hours: WorkingHours


def clash_to_tell(
    pair: Pair, *, default: WorkingHours, now: datetime, mark: bool = True
) -> Clash | None:
    """The clash to tell the pair about now — marked as told unless `mark` is False (then
    the caller calls `note_clash_told` once the message went out); None when their hours
    overlap or they already heard."""
    if not clash_needs_telling(pair, default=default, now=now):
        return None
    if mark:
        note_clash_told(pair, now=now)
    return Clash(
        mentee_hours=hours_of(pair.mentee, default=default),
        mentor_hours=hours_of(pair.mentor, default=default),
    )
