"""What coordinators see: counts and states across the program, never conversation content."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import CheckIn, Pair, PairState

RECENT = timedelta(days=30)


@dataclass(frozen=True)
class ProgramSummary:
    active: int
    paused: int
    pending: int
    checkins_last_30_days: int
    going_cold: Sequence[Pair]


def program_summary(session: Session, *, workspace_id: int, now: datetime) -> ProgramSummary:
    counts: dict[PairState, int] = {
        state: count
        for state, count in session.execute(
            select(Pair.state, func.count())
            .where(Pair.workspace_id == workspace_id)
            .group_by(Pair.state)
        )
    }
    recent = session.scalar(
        select(func.count())
        .select_from(CheckIn)
        .join(Pair, CheckIn.pair_id == Pair.id)
        .where(Pair.workspace_id == workspace_id, CheckIn.completed_at >= now - RECENT)
    )
    cold = (
        session.execute(
            select(Pair)
            .where(
                Pair.workspace_id == workspace_id,
                Pair.going_cold.is_(True),
                Pair.state.in_((PairState.ACTIVE, PairState.PAUSED)),
            )
            .order_by(Pair.id)
        )
        .scalars()
        .all()
    )
    return ProgramSummary(
        active=counts.get(PairState.ACTIVE, 0),
        paused=counts.get(PairState.PAUSED, 0),
        pending=counts.get(PairState.PENDING, 0),
        checkins_last_30_days=int(recent or 0),
        going_cold=cold,
    )
