"""Whether a prompt's buttons still act. Once someone presses "We met" or "Snooze a week"
the prompt is settled; a newer prompt supersedes older ones. Either way a button on it
answers clearly instead of acting twice."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.themes import Theme, theme_for
from bot.store import deliveries
from bot.store import themes as theme_queries
from bot.store.models import Delivery, Pair, Person


class Stale(enum.Enum):
    SETTLED = "settled"  # someone already acted on it
    SUPERSEDED = "superseded"  # a newer prompt came since


def prompt_at(session: Session, *, channel_id: str, ts: str) -> Delivery | None:
    return deliveries.sent_prompt_at(session, channel_id=channel_id, ts=ts)


def staleness(session: Session, prompt: Delivery) -> Stale | None:
    if prompt.settled_at is not None:
        return Stale.SETTLED
    if prompt.pair_id is None:
        return None
    latest = deliveries.latest_sent_prompt(session, prompt.pair_id)
    if latest is not None and latest.id != prompt.id:
        return Stale.SUPERSEDED
    return None


def open_prompt(session: Session, pair: Pair) -> Delivery | None:
    """The pair's newest prompt, if nobody has acted on it yet."""
    latest = deliveries.latest_sent_prompt(session, pair.id)
    return latest if latest is not None and latest.settled_at is None else None


def settle(prompt: Delivery, *, how: str, by: Person, now: datetime) -> None:
    prompt.settled_at = now
    prompt.settled_as = how
    prompt.settled_by_id = by.id


def theme_of_latest_prompt(session: Session, pair: Pair) -> Theme:
    """The theme the pair's newest prompt led with (to show it again, settled)."""
    return theme_for(max(0, theme_queries.prompts_sent(session, pair_id=pair.id) - 1))
