"""From database rows to the plain data the Block Kit builders take."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.pairs import PairLine
from bot.domain.pairs import other_member
from bot.listeners.zones import rhythm, zoned
from bot.store.models import Pair, PairState, Person


def pair_line(pair: Pair, viewer: Person, *, now: datetime | None = None) -> PairLine:
    """The pair as `viewer` sees it: `role` is what the other member is to them; times on
    the viewer's own clock, with the other member's where it reads differently."""
    other = other_member(pair, viewer)
    return PairLine(
        role="mentor" if pair.mentee_id == viewer.id else "mentee",
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
