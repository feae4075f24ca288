"""Queries behind the coordinators' "needs attention" list: counts, then the most urgent rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.store.models import Delivery, DeliveryStatus, Pair, PairState
from bot.store.pairs import WITH_MEMBERS


def paused_by_error(
    session: Session, *, workspace_id: int, limit: int
) -> tuple[int, Sequence[tuple[Pair, datetime | None]]]:
    """Pairs the dispatcher paused after a permanent Slack error, with when it last failed."""
    where = (
        Pair.workspace_id == workspace_id,
        Pair.state == PairState.PAUSED,
        Pair.paused_reason.is_not(None),
    )
    count = int(session.scalar(select(func.count()).select_from(Pair).where(*where)) or 0)
    failed_at = (
        select(func.max(Delivery.finished_at))
        .where(Delivery.pair_id == Pair.id, Delivery.status == DeliveryStatus.FAILED)
        .correlate(Pair)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Pair, failed_at)
        .where(*where)
        .order_by(failed_at.asc().nulls_first(), Pair.id)
        .limit(limit)
        .options(*WITH_MEMBERS)
    ).all()
    return count, [(pair, at) for pair, at in rows]


def going_cold(session: Session, *, workspace_id: int, limit: int) -> tuple[int, Sequence[Pair]]:
    """Active pairs flagged going cold; the longest silent first."""
    where = (
        Pair.workspace_id == workspace_id,
        Pair.state == PairState.ACTIVE,
        Pair.going_cold.is_(True),
    )
    count = int(session.scalar(select(func.count()).select_from(Pair).where(*where)) or 0)
    quiet_since = func.coalesce(Pair.last_complete_checkin_at, Pair.activated_at)
    rows = (
        session.execute(
            select(Pair)
            .where(*where)
            .order_by(quiet_since.asc(), Pair.id)
            .limit(limit)
            .options(*WITH_MEMBERS)
        )
        .scalars()
        .all()
    )
    return count, rows


def pending_since(session: Session, *, workspace_id: int, before: datetime) -> Sequence[Pair]:
    """Requests still waiting for the mentor's answer, asked before `before`; oldest first."""
    return (
        session.execute(
            select(Pair)
            .where(
                Pair.workspace_id == workspace_id,
                Pair.state == PairState.PENDING,
                Pair.requested_at <= before,
            )
            .order_by(Pair.requested_at, Pair.id)
            .options(*WITH_MEMBERS)
        )
        .scalars()
        .all()
    )


def declined_without_mentor(session: Session, *, workspace_id: int) -> Sequence[Pair]:
    """Each student's latest declined request, when they have no active or paused pair."""
    other = aliased(Pair)
    has_mentor = (
        select(other.id)
        .where(
            other.mentee_id == Pair.mentee_id,
            other.state.in_((PairState.ACTIVE, PairState.PAUSED)),
        )
        .exists()
    )
    later_decline = (
        select(other.id)
        .where(
            other.mentee_id == Pair.mentee_id,
            other.state == PairState.DECLINED,
            other.id > Pair.id,
        )
        .exists()
    )
    return (
        session.execute(
            select(Pair)
            .where(
                Pair.workspace_id == workspace_id,
                Pair.state == PairState.DECLINED,
                ~has_mentor,
                ~later_decline,
            )
            .order_by(Pair.ended_at, Pair.id)
            .options(*WITH_MEMBERS)
        )
        .scalars()
        .all()
    )
