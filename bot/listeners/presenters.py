"""From database rows to the plain data the Block Kit builders take."""

from __future__ import annotations

from bot.blocks.pairs import PairLine
from bot.domain.pairs import other_member
from bot.domain.schedule import cadence_of
from bot.store.models import Pair, PairState, Person


def pair_line(pair: Pair, viewer: Person) -> PairLine:
    """The pair as `viewer` sees it: `role` is what the other member is to them."""
    return PairLine(
        role="mentor" if pair.mentee_id == viewer.id else "mentee",
        other=other_member(pair, viewer).slack_user_id,
        state=pair.state.value,
        cadence=cadence_of(pair).describe(),
        last_checkin=pair.last_complete_checkin_at,
        next_nudge=pair.next_prompt_at if pair.state is PairState.ACTIVE else None,
        paused_until=pair.paused_until.isoformat() if pair.paused_until else None,
        going_cold=pair.going_cold,
    )
