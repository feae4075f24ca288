"""When a pair's next check-in prompt goes out, as an instant.

The prompt follows the mentee's zone; when that time is outside the mentor's working hours
it moves to the nearest moment that day inside both members' own hours, where one exists
(bot.domain.hours).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.cadence import Cadence, WorkingHours, next_prompt_date, zone
from bot.domain.hours import Member, ScheduledPair, pair_members, prompt_instant
from bot.store.models import CadenceUnit, Pair


class HasCadence(Protocol):
    @property
    def cadence_unit(self) -> CadenceUnit: ...
    @property
    def cadence_interval(self) -> int: ...
    @property
    def cadence_weekday(self) -> int: ...
    @property
    def cadence_time(self) -> time: ...


class PairSchedule(ScheduledPair, HasCadence, Protocol):
    """What prompt timing reads of a pair: an ORM pair, or the planner's row of a due pair
    (bot.store.planning.DuePair), so both are timed by the same rules."""


def cadence_of(pair: HasCadence) -> Cadence:
    return Cadence(
        unit=pair.cadence_unit,
        interval=pair.cadence_interval,
        weekday=pair.cadence_weekday,
        at=pair.cadence_time,
    )


def shared_prompt_instant(
    day: date,
    cadence: Cadence,
    *,
    mentee_tz: ZoneInfo,
    mentor_tz: ZoneInfo,
    hours: WorkingHours,
    mentor_hours: WorkingHours | None = None,
) -> datetime:
    """The prompt instant on the mentee's local `day`, moved into the mentor's hours if it can.
    `hours` are the mentee's (and the mentor's, unless `mentor_hours` says otherwise)."""
    return prompt_instant(
        day,
        cadence.at,
        mentee=Member(tz=mentee_tz, hours=hours),
        mentor=Member(tz=mentor_tz, hours=mentor_hours or hours),
    )


def prompt_instant_on(day: date, pair: PairSchedule, *, hours: WorkingHours) -> datetime:
    """`hours` is the default; each member's own hours (`/mentor hours`) win over it."""
    mentee, mentor = pair_members(pair, default=hours)
    return prompt_instant(day, pair.cadence_time, mentee=mentee, mentor=mentor)


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


def replan_same_day(pair: Pair, *, hours: WorkingHours) -> None:
    """After a member's hours or zone change, the next prompt keeps its local day and takes
    the time the new hours allow."""
    if pair.next_prompt_at is None:
        return
    day = pair.next_prompt_at.astimezone(zone(pair.mentee.tz)).date()
    pair.next_prompt_at = prompt_instant_on(day, pair, hours=hours)
