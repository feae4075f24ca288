"""The times a pair's screens show, each on the reader's own clock (bot.blocks.times)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.blocks.times import Zoned, when, when_shared
from bot.blocks.times import rhythm as rhythm_text
from bot.domain.schedule import HasCadence, cadence_of
from bot.store.models import Pair, Person


class Zonable(Protocol):
    """Someone whose clock a screen shows: an ORM person, or a read model's member."""

    @property
    def slack_user_id(self) -> str: ...
    @property
    def tz(self) -> str | None: ...


class ZonedPair(HasCadence, Protocol):
    @property
    def mentee(self) -> Zonable: ...
    @property
    def mentor(self) -> Zonable: ...


def zoned(person: Zonable) -> Zoned:
    return Zoned(user=person.slack_user_id, tz=person.tz)


def other_of(pair: Pair, viewer: Person) -> Person:
    return pair.mentor if pair.mentee_id == viewer.id else pair.mentee


def rhythm(pair: ZonedPair, *, viewer: Zonable | None, now: datetime) -> str:
    """`every 2 weeks on Tuesday at 09:00 your time (Tuesday at 19:30 for @rao)`. The rhythm
    is set on the mentee's clock; with no viewer (the check-in space) both clocks show."""
    cadence = cadence_of(pair)
    return rhythm_text(
        cadence.frequency(),
        cadence.weekday,
        cadence.at,
        owner=zoned(pair.mentee),
        viewer=zoned(viewer) if viewer is not None else None,
        others=[zoned(pair.mentor)],
        reference=now,
    )


def moment_for(pair: Pair, moment: datetime, *, viewer: Person | None) -> str:
    """A moment of the pair's (a nudge) for one member, or for both in their space."""
    if viewer is None:
        return when_shared(moment, [zoned(pair.mentee), zoned(pair.mentor)])
    return when(moment, zoned(viewer), [zoned(other_of(pair, viewer))])
