"""From database rows to the plain data the Block Kit builders take."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol

from bot.blocks.home import GoalLine
from bot.blocks.pairs import PairLine
from bot.listeners.zones import Zonable, ZonedPair, rhythm, zoned
from bot.store.models import PairState


class ShownMember(Zonable, Protocol):
    @property
    def id(self) -> int: ...


class ShownPair(ZonedPair, Protocol):
    """What a pair line needs: an ORM pair (Home) or a read-model row (`/mentor list`)."""

    @property
    def mentee_id(self) -> int: ...
    @property
    def state(self) -> PairState: ...
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


def pair_line(pair: ShownPair, viewer: ShownMember, *, now: datetime | None = None) -> PairLine:
    """The pair as `viewer` sees it: `role` is what the other member is to them; times on
    the viewer's own clock, with the other member's where it reads differently."""
    viewer_is_mentee = pair.mentee_id == viewer.id
    other = pair.mentor if viewer_is_mentee else pair.mentee
    return PairLine(
        role="mentor" if viewer_is_mentee else "mentee",
        other=other.slack_user_id,
        state=pair.state.value,
        cadence=rhythm(pair, viewer=viewer, now=now or datetime.now(UTC)),
        last_checkin=pair.last_complete_checkin_at,
        next_nudge=pair.next_prompt_at if pair.state is PairState.ACTIVE else None,
        paused_until=pair.paused_until.isoformat() if pair.paused_until else None,
        going_cold=pair.going_cold,
        viewer=zoned(viewer),
        other_zone=zoned(other),
    )
