"""From database rows to the plain data the Block Kit builders take."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Protocol

from bot.blocks.home import GoalLine
from bot.blocks.pairs import PairLine
from bot.domain.cadence import Cadence
from bot.store.models import CadenceUnit, PairState


class ShownMember(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def slack_user_id(self) -> str: ...


class ShownPair(Protocol):
    """What a pair line needs: an ORM pair (Home) or a read-model row (`/mentor list`)."""

    @property
    def mentee_id(self) -> int: ...
    @property
    def mentee(self) -> ShownMember: ...
    @property
    def mentor(self) -> ShownMember: ...
    @property
    def state(self) -> PairState: ...
    @property
    def cadence_unit(self) -> CadenceUnit: ...
    @property
    def cadence_interval(self) -> int: ...
    @property
    def cadence_weekday(self) -> int: ...
    @property
    def cadence_time(self) -> time: ...
    @property
    def last_complete_checkin_at(self) -> datetime | None: ...
    @property
    def next_prompt_at(self) -> datetime | None: ...
    @property
    def paused_until(self) -> date | None: ...
    @property
    def going_cold(self) -> bool: ...


class ShownGoal(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def due_on(self) -> date | None: ...


def goal_line(goal: ShownGoal) -> GoalLine:
    return GoalLine(goal.number, goal.text, goal.due_on.isoformat() if goal.due_on else None)


def pair_line(pair: ShownPair, viewer: ShownMember) -> PairLine:
    """The pair as `viewer` sees it: `role` is what the other member is to them."""
    viewer_is_mentee = pair.mentee_id == viewer.id
    cadence = Cadence(
        unit=pair.cadence_unit,
        interval=pair.cadence_interval,
        weekday=pair.cadence_weekday,
        at=pair.cadence_time,
    )
    return PairLine(
        role="mentor" if viewer_is_mentee else "mentee",
        other=(pair.mentor if viewer_is_mentee else pair.mentee).slack_user_id,
        state=pair.state.value,
        cadence=cadence.describe(),
        last_checkin=pair.last_complete_checkin_at,
        next_nudge=pair.next_prompt_at if pair.state is PairState.ACTIVE else None,
        paused_until=pair.paused_until.isoformat() if pair.paused_until else None,
        going_cold=pair.going_cold,
    )
