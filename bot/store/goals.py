"""Queries on goals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import Goal, GoalStatus


def highest_number(session: Session, *, mentee_id: int) -> int:
    highest = session.scalar(select(func.max(Goal.number)).where(Goal.mentee_id == mentee_id))
    return int(highest or 0)


def of_pair(session: Session, *, pair_id: int, status: GoalStatus | None = None) -> Sequence[Goal]:
    query = select(Goal).where(Goal.pair_id == pair_id).order_by(Goal.number)
    if status is not None:
        query = query.where(Goal.status == status)
    return session.execute(query).scalars().all()


def by_number(session: Session, *, mentee_id: int, number: int) -> Goal | None:
    return session.execute(
        select(Goal).where(Goal.mentee_id == mentee_id, Goal.number == number)
    ).scalar_one_or_none()
