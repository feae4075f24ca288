"""Queries for kick-offs: the pairs whose kick-off time has come."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.installations import pair_is_installed
from bot.store.models import Pair, PairState


def pairs_due_for_kick_off(session: Session, *, now: datetime, limit: int) -> Sequence[Pair]:
    """Active pairs whose kick-off is due and not planned yet (index on kick_off_at: the
    column is empty for every pair past its kick-off)."""
    return (
        session.execute(
            select(Pair)
            .where(Pair.kick_off_at <= now, Pair.state == PairState.ACTIVE, pair_is_installed())
            .order_by(Pair.kick_off_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
