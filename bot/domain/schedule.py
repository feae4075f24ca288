"""When a pair's next check-in prompt goes out, as an instant.

The prompt follows the mentee's zone; when that time is outside the mentor's working hours
it moves to the nearest moment that day inside both members' hours, where one exists.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.cadence import (
    Cadence,
    WorkingHours,
    is_working_day,
    local_instant,
    next_prompt_date,
    zone,
)
from bot.store.models import CadenceUnit, Pair


class ScheduledMember(Protocol):
    @property
    def tz(self) -> str | None: ...


class PairSchedule(Protocol):
    """What prompt timing reads of a pair: an ORM pair, or the planner's row of a due pair
    (bot.store.planning.DuePair), so both are timed by the same rules."""

    @property
    def mentee(self) -> ScheduledMember: ...
    @property
    def mentor(self) -> ScheduledMember: ...
    @property
    def cadence_unit(self) -> CadenceUnit: ...
    @property
    def cadence_interval(self) -> int: ...
    @property
    def cadence_weekday(self) -> int: ...
    @property
    def cadence_time(self) -> time: ...


def cadence_of(pair: PairSchedule) -> Cadence:
    return Cadence(
        unit=pair.cadence_unit,
        interval=pair.cadence_interval,
        weekday=pair.cadence_weekday,
        at=pair.cadence_time,
    )


def _working_window(day: date, tz: ZoneInfo, hours: WorkingHours) -> tuple[datetime, datetime]:
    return local_instant(day, hours.start, tz), local_instant(day, hours.end, tz)


# Pure, and the same for every pair with the same rhythm, zones and day: a cohort's launch
# or a day of downtime plans thousands of prompts from a handful of distinct answers.
@cache
def shared_prompt_instant(
    day: date, cadence: Cadence, *, mentee_tz: ZoneInfo, mentor_tz: ZoneInfo, hours: WorkingHours
) -> datetime:
    """The prompt instant on the mentee's local `day`, moved into the mentor's hours if it can."""
    wanted = local_instant(day, cadence.at, mentee_tz)
    mentee_start, mentee_end = _working_window(day, mentee_tz, hours)
    best: datetime | None = None
    # The mentor's working days that can overlap the mentee's day, in the mentor's zone.
    mentor_day = wanted.astimezone(mentor_tz).date()
    for offset in (-1, 0, 1):
        candidate_day = mentor_day + timedelta(days=offset)
        if not is_working_day(candidate_day):
            continue
        mentor_start, mentor_end = _working_window(candidate_day, mentor_tz, hours)
        start, end = max(mentee_start, mentor_start), min(mentee_end, mentor_end)
        if start > end:
            continue
        nearest = min(max(wanted, start), end)
        if best is None or abs(nearest - wanted) < abs(best - wanted):
            best = nearest
    return best if best is not None else wanted


def prompt_instant_on(day: date, pair: PairSchedule, *, hours: WorkingHours) -> datetime:
    return shared_prompt_instant(
        day,
        cadence_of(pair),
        mentee_tz=zone(pair.mentee.tz),
        mentor_tz=zone(pair.mentor.tz),
        hours=hours,
    )


def next_prompt_after_checkin(pair: Pair, *, anchor: datetime, hours: WorkingHours) -> datetime:
    """One cadence period after `anchor` (activation or the last complete check-in)."""
    anchor_day = anchor.astimezone(zone(pair.mentee.tz)).date()
    return prompt_instant_on(
        next_prompt_date(cadence_of(pair), anchor=anchor_day), pair, hours=hours
    )


def first_prompt_from(pair: Pair, *, now: datetime, hours: WorkingHours) -> datetime:
    """The first chosen weekday from now on whose prompt time has not passed (after a pause)."""
    day = now.astimezone(zone(pair.mentee.tz)).date()
    for _ in range(15):
        if day.weekday() == pair.cadence_weekday:
            instant = prompt_instant_on(day, pair, hours=hours)
            if instant > now:
                return instant
        day += timedelta(days=1)
    raise AssertionError("a weekday recurs within 15 days")
