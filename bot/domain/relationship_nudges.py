"""The nudges of a relationship's beginning and end — kick-off, wrap-ups, catch-up, the
pay-it-forward invitation: when one must not go out, and whose clock it follows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain import directory, kickoff
from bot.store import endings as ending_queries
from bot.store.models import Delivery, DeliveryKind, Pair, PairState

KINDS = (
    DeliveryKind.KICK_OFF,
    DeliveryKind.MENTOR_WRAP_UP,
    DeliveryKind.CATCH_UP,
    DeliveryKind.PAY_IT_FORWARD,
)
# Sent late rather than never: outside the recipient's working hours they wait for them.
IN_RECIPIENTS_HOURS = (
    DeliveryKind.WRAP_UP,
    DeliveryKind.MENTOR_WRAP_UP,
    DeliveryKind.PAY_IT_FORWARD,
)
# Like prompts (the kick-off is the first one): after downtime, only on their own local
# working day, so a late kick-off never lands on top of the first regular prompt.
ONLY_ON_ITS_DAY = (DeliveryKind.KICK_OFF, DeliveryKind.CATCH_UP)


def recipient_zone(delivery: Delivery, pair: Pair) -> str | None:
    """The zone whose working hours a delivery keeps: the mentor's for their own wrap-up,
    the mentee's for everything else (check-in space posts follow the mentee)."""
    if delivery.kind is DeliveryKind.MENTOR_WRAP_UP:
        return pair.mentor.tz
    return pair.mentee.tz


def objection(session: Session, delivery: Delivery, pair: Pair) -> str | None:
    """Why this delivery must be skipped, or None."""
    if delivery.kind is DeliveryKind.KICK_OFF:
        if pair.state is not PairState.ACTIVE:
            return f"pair {pair.state.value}"
        if kickoff.already_under_way(pair):
            return "already checked in"
    if delivery.kind is DeliveryKind.CATCH_UP:
        if pair.state is not PairState.ALUMNI:
            return f"pair {pair.state.value}"
        if _paired_again(session, pair):
            return "paired again"
    if delivery.kind is DeliveryKind.PAY_IT_FORWARD:
        return directory.reason_not_to_invite(session, pair=pair, delivery_id=delivery.id)
    return None


def _paired_again(session: Session, pair: Pair) -> bool:
    """Alumni who started a new mentorship together talk there; no catch-up on top."""
    again = ending_queries.latest_between(
        session,
        a_id=pair.mentee_id,
        b_id=pair.mentor_id,
        states=(PairState.ACTIVE, PairState.PAUSED),
    )
    return again is not None
