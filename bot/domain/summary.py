"""What coordinators see: counts and states across the program, never conversation content."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.store import checkins as checkin_queries
from bot.store import pairs as pair_queries
from bot.store.models import Pair, PairState

RECENT = timedelta(days=30)


@dataclass(frozen=True)
class ProgramSummary:
    active: int
    paused: int
    pending: int
    checkins_last_30_days: int
    going_cold: Sequence[Pair]


def program_summary(session: Session, *, workspace_id: int, now: datetime) -> ProgramSummary:
    counts = pair_queries.state_counts(session, workspace_id=workspace_id)
    return ProgramSummary(
        active=counts.get(PairState.ACTIVE, 0),
        paused=counts.get(PairState.PAUSED, 0),
        pending=counts.get(PairState.PENDING, 0),
        checkins_last_30_days=checkin_queries.completed_since(
            session, workspace_id=workspace_id, since=now - RECENT
        ),
        going_cold=pair_queries.going_cold(
            session, workspace_id=workspace_id, states=(PairState.ACTIVE, PairState.PAUSED)
        ),
    )
