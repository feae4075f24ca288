"""Queries for a mentor's mentoring record."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.store.models import Pair, PairState, Person


def mentor_pairs(
    session: Session, mentor: Person, *, states: Collection[PairState]
) -> Sequence[Pair]:
    """Every pair this person mentored that became active, oldest first, mentees loaded."""
    return (
        session.execute(
            select(Pair)
            .where(
                Pair.mentor_id == mentor.id,
                Pair.state.in_(list(states)),
                Pair.activated_at.is_not(None),
            )
            .order_by(Pair.activated_at, Pair.id)
            .options(joinedload(Pair.mentee, innerjoin=True))
        )
        .scalars()
        .all()
    )
