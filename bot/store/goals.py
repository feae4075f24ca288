"""Queries on goals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import Goal, GoalStatus


def highest_number(session: Session, *, pair_id: int) -> int:
    """Goal numbers count within one pair: a mentor sees 1, 2, 3 for each mentee."""
    highest = session.scalar(select(func.max(Goal.number)).where(Goal.pair_id == pair_id))
    return int(highest or 0)


def of_pair(session: Session, *, pair_id: int, status: GoalStatus | None = None) -> Sequence[Goal]:
    query = select(Goal).where(Goal.pair_id == pair_id).order_by(Goal.number)
    if status is not None:
        query = query.where(Goal.status == status)
    return session.execute(query).scalars().all()


def by_number(session: Session, *, pair_ids: Sequence[int], number: int) -> Sequence[Goal]:
    """Goal `number` in each of these pairs that has one."""
    if not pair_ids:
        return []
    return (
        session.execute(
            select(Goal)
            .where(Goal.pair_id.in_(list(pair_ids)), Goal.number == number)
            .order_by(Goal.pair_id)
        )
        .scalars()
        .all()
    )
