"""What the dispatcher posts for a relationship's beginning and end: kick-off, wrap-ups
(each member their own), catch-up, and the pay-it-forward invitation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.blocks import directory as directory_blocks
from bot.blocks import endings as ending_blocks
from bot.blocks import kickoff as kickoff_blocks
from bot.domain.record import record_at_end
from bot.domain.schedule import cadence_of
from bot.store.models import Delivery, DeliveryKind, Pair, Person


@dataclass(frozen=True)
class Composed:
    recipients: list[Person]  # whose DM it goes to; empty for the check-in space
    text: str
    blocks: list[dict[str, Any]]


def together(session: Session, pair: Pair) -> ending_blocks.Together:
    """The pair's summary as of its end: months together, check-ins, thanks received."""
    counted = record_at_end(session, pair)
    return ending_blocks.Together(
        months=counted.months, checkins=counted.checkins_completed, thanks=counted.thanks_received
    )


def compose(session: Session, delivery: Delivery, pair: Pair) -> Composed | None:
    """The message for one of these kinds, or None for any other kind."""
    mentee, mentor = pair.mentee.slack_user_id, pair.mentor.slack_user_id
    if delivery.kind is DeliveryKind.KICK_OFF:
        text, blocks = kickoff_blocks.kick_off(
            pair_id=pair.id, mentee=mentee, mentor=mentor, cadence=cadence_of(pair).describe()
        )
        return Composed([], text, blocks)
    if delivery.kind is DeliveryKind.WRAP_UP:
        return Composed(
            [pair.mentee], *ending_blocks.mentee_wrap_up(pair_id=pair.id, mentor=mentor)
        )
    if delivery.kind is DeliveryKind.MENTOR_WRAP_UP:
        text, blocks = ending_blocks.mentor_wrap_up(
            pair_id=pair.id, mentee=mentee, together=together(session, pair)
        )
        return Composed([pair.mentor], text, blocks)
    if delivery.kind is DeliveryKind.CATCH_UP:
        return Composed([], *ending_blocks.catch_up(mentee=mentee, mentor=mentor))
    if delivery.kind is DeliveryKind.PAY_IT_FORWARD:
        return Composed([pair.mentee], *directory_blocks.pay_it_forward(mentor=mentor))
    return None
