"""The numbers /metrics reports, read from the database so every process tells the same story."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.installations import pair_is_installed
from bot.store.models import Delivery, DeliveryStatus, Pair, PairState

# Waiting to go out (or being sent): what "the oldest due delivery" is taken from.
_UNSENT = (DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING)
_LIVE_STATES = (PairState.ACTIVE, PairState.PAUSED)


@dataclass(frozen=True)
class ProgramNumbers:
    deliveries_by_status: dict[str, int]
    oldest_due_at: datetime | None
    failed_last_day: int
    pairs_by_state: dict[str, int]
    going_cold: int


def program_numbers(session: Session, *, now: datetime) -> ProgramNumbers:
    deliveries = {
        str(status): int(count)
        for status, count in session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
    }
    oldest_due_at = session.execute(
        select(func.min(Delivery.due_at)).where(
            Delivery.status.in_(_UNSENT), Delivery.due_at <= now
        )
    ).scalar_one_or_none()
    failed_last_day = session.execute(
        select(func.count()).where(
            Delivery.status == DeliveryStatus.FAILED,
            Delivery.finished_at >= now - timedelta(days=1),
        )
    ).scalar_one()
    # Pairs of a workspace that uninstalled Rounds wait 30 days to be deleted; nothing about
    # them is the operator's to page on.
    installed = pair_is_installed()
    pairs = {
        str(state): int(count)
        for state, count in session.execute(
            select(Pair.state, func.count()).where(installed).group_by(Pair.state)
        )
    }
    going_cold = session.execute(
        select(func.count()).where(
            Pair.going_cold.is_(True), Pair.state.in_(_LIVE_STATES), installed
        )
    ).scalar_one()
    return ProgramNumbers(
        deliveries_by_status=deliveries,
        oldest_due_at=oldest_due_at,
        failed_last_day=int(failed_last_day),
        pairs_by_state=pairs,
        going_cold=int(going_cold),
    )
