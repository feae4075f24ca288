"""Times as a person reads them: in their own zone, saying so ("Tue Jan 19, 09:00 your
time"), and, where the other member of the pair lives elsewhere, theirs too
("… (Tue 19:30 for @Rao)"). Pure formatting: instants and zone names in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.blocks.common import mention
from bot.domain.cadence import WEEKDAYS, local_instant, zone


@dataclass(frozen=True)
class Zoned:
    """Someone a time is shown to or for: their Slack ID and zone (None: not known yet)."""

    user: str
    tz: str | None


def _local(moment: datetime, who: Zoned) -> datetime:
    return moment.astimezone(zone(who.tz))


def _zone_label(who: Zoned) -> str:
    """How the reader's own zone is named: "your time", or the zone when Rounds guessed it."""
    if who.tz:
        return "your time"
    return f"{str(zone(who.tz)).split('/')[-1].replace('_', ' ')} time"


def clock(moment: datetime, who: Zoned, *, with_date: bool = True) -> str:
    """`Tue Jan 19, 09:00` (or `Tue 09:00`) in the person's zone, without a label."""
    local = _local(moment, who)
    return f"{local:%a %b %-d, %H:%M}" if with_date else f"{local:%a %H:%M}"


def day(moment: datetime, who: Zoned) -> str:
    """The date of `moment` where the person is: `Tue Jan 19`."""
    return f"{_local(moment, who):%a %b %-d}"


def calendar_day(value: date) -> str:
    """A date that is the same for everyone (a due date, a pause's end): `Mon Feb 1, 2027`."""
    return f"{value:%a %b %-d, %Y}"


def _differs(moment: datetime, first: Zoned, second: Zoned) -> bool:
    return _local(moment, first).replace(tzinfo=None) != _local(moment, second).replace(tzinfo=None)


def when(moment: datetime, viewer: Zoned, others: Sequence[Zoned] = ()) -> str:
    """`Tue Jan 19, 09:00 your time`, plus `(Tue 19:30 for @x)` for each other person whose
    clock reads differently at that moment."""
    text = f"{clock(moment, viewer)} {_zone_label(viewer)}"
    theirs = [
        f"{clock(moment, other, with_date=False)} for {mention(other.user)}"
        for other in others
        if other.user != viewer.user and _differs(moment, viewer, other)
    ]
    return f"{text} ({', '.join(theirs)})" if theirs else text


def when_shared(moment: datetime, members: Sequence[Zoned]) -> str:
    """A time in a message both members read (their check-in space): one clock when their
    zones agree, else each member's own."""
    first, *rest = members
    if not any(_differs(moment, first, other) for other in rest):
        return f"{clock(moment, first)} {_zone_label(first)}"
    return ", ".join(f"{clock(moment, who)} for {mention(who.user)}" for who in members)


def _next_weekly(weekday: int, at: time, owner: Zoned, reference: datetime) -> datetime:
    """The next `weekday` at `at` on the owner's wall clock, from `reference` on."""
    local_day = reference.astimezone(zone(owner.tz)).date()
    local_day += timedelta(days=(weekday - local_day.weekday()) % 7)
    return local_instant(local_day, at, zone(owner.tz))


def _weekly_phrase(moment: datetime, who: Zoned) -> str:
    local = _local(moment, who)
    return f"{WEEKDAYS[local.weekday()]} at {local:%H:%M}"


def weekly(
    weekday: int,
    at: time,
    *,
    owner: Zoned,
    viewer: Zoned | None,
    others: Sequence[Zoned] = (),
    reference: datetime,
) -> str:
    """A rhythm's day and time, set on the `owner`'s wall clock (the mentee's), as `viewer`
    reads it: `Tuesday at 19:30 your time (Tuesday at 09:00 for @student)`. With no
    viewer (a message both read), each member's clock is named."""
    moment = _next_weekly(weekday, at, owner, reference)
    people = [owner, *others]
    if viewer is None:
        first, *rest = people
        if not any(_differs(moment, first, other) for other in rest):
            return f"{_weekly_phrase(moment, first)} {_zone_label(first)}"
        return ", ".join(f"{_weekly_phrase(moment, who)} for {mention(who.user)}" for who in people)
    text = f"{_weekly_phrase(moment, viewer)} {_zone_label(viewer)}"
    theirs = [
        f"{_weekly_phrase(moment, who)} for {mention(who.user)}"
        for who in people
        if who.user != viewer.user and _differs(moment, viewer, who)
    ]
    return f"{text} ({', '.join(theirs)})" if theirs else text


def hours_range(start: time, end: time, who: Zoned) -> str:
    """Someone's working hours on their own clock: `07:00–15:00 your time`."""
    return f"{start:%H:%M}–{end:%H:%M} {_zone_label(who)}"


def rhythm(
    frequency: str,
    weekday: int,
    at: time,
    *,
    owner: Zoned,
    viewer: Zoned | None,
    others: Sequence[Zoned] = (),
    reference: datetime,
) -> str:
    """`every 2 weeks on Tuesday at 19:30 your time (Tuesday at 09:00 for @student)`."""
    when_text = weekly(weekday, at, owner=owner, viewer=viewer, others=others, reference=reference)
    return f"{frequency} on {when_text}"
