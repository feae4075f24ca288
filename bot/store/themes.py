"""Queries for prompt themes: how many prompts a pair has seen."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import Delivery, DeliveryKind, DeliveryStatus


def prompts_sent(session: Session, *, pair_id: int) -> int:
    """Prompts that reached the pair (skipped ones were never seen, so they do not count).
    Reads the (pair_id, kind, period) unique index."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.pair_id == pair_id,
                Delivery.kind == DeliveryKind.PROMPT,
                Delivery.status == DeliveryStatus.SENT,
            )
        )
        or 0
    )
