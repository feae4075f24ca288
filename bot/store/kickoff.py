"""Queries for kick-offs: the pairs whose kick-off time has come."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.installations import pair_is_installed
from bot.store.models import Pair, PairState


def pairs_due_for_kick_off(session: Session, *, now: datetime, limit: int) -> Sequence[Pair]:
    """Active pairs whose kick-off is due and not planned yet (index on state, kick_off_at: the
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


@dataclass(frozen=True)
class DueKickOff:
    pair_id: int
    due_at: datetime
    channel_id: str | None


def kick_offs_due(session: Session, *, now: datetime, limit: int) -> list[DueKickOff]:
    """`pairs_due_for_kick_off` as plain rows, for planning a cohort's kick-offs set-based."""
    return [
        DueKickOff(pair_id, due_at, channel_id)
        for pair_id, due_at, channel_id in session.execute(
            select(Pair.id, Pair.kick_off_at, Pair.checkin_channel_id)
            .where(Pair.kick_off_at <= now, Pair.state == PairState.ACTIVE, pair_is_installed())
            .order_by(Pair.kick_off_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Pair)
        )
        if due_at is not None  # the query asks for a time; this tells the type checker
    ]


def mark_kick_offs_planned(session: Session, pair_ids: Collection[int]) -> None:
    """Clear the pairs' kick-off times: their kick-offs are in the outbox now."""
    if pair_ids:
        session.execute(
            update(Pair)
            .where(Pair.id.in_(list(pair_ids)))
            .values(kick_off_at=None)
            .execution_options(synchronize_session=False)
        )
