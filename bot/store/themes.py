"""Queries for prompt themes: how many prompts a pair has seen."""

from __future__ import annotations

from collections.abc import Collection

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


def prompts_sent_by_pair(session: Session, *, pair_ids: Collection[int]) -> dict[int, int]:
    """`prompts_sent` for a batch of pairs, in one statement (pairs with none are left out)."""
    if not pair_ids:
        return {}
    return {
        pair_id: int(count)
        for pair_id, count in session.execute(
            select(Delivery.pair_id, func.count())
            .where(
                Delivery.pair_id.in_(list(pair_ids)),
                Delivery.kind == DeliveryKind.PROMPT,
                Delivery.status == DeliveryStatus.SENT,
            )
            .group_by(Delivery.pair_id)
        )
        if pair_id is not None
    }
