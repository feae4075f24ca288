"""Queries for ended and alumni pairs: history, and catch-ups that are due."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.store.installations import pair_is_installed
from bot.store.models import CheckIn, Pair, PairState, Person
from bot.store.pairs import WITH_MEMBERS


def alumni_due_for_catch_up(session: Session, *, now: datetime, limit: int) -> Sequence[Pair]:
    """Alumni pairs whose next catch-up time has come (index on state, next_prompt_at)."""
    return (
        session.execute(
            select(Pair)
            .where(Pair.state == PairState.ALUMNI, Pair.next_prompt_at <= now, pair_is_installed())
            .order_by(Pair.next_prompt_at)
            .limit(limit)
            .options(selectinload(Pair.mentee), selectinload(Pair.mentor))
            .with_for_update(skip_locked=True, of=Pair)
        )
        .scalars()
        .all()
    )


def past_pairs_of(
    session: Session, person: Person, *, states: Collection[PairState]
) -> Sequence[Pair]:
    """Pairs that were once active and are now in `states`, latest ending first."""
    return (
        session.execute(
            select(Pair)
            .where(
                or_(Pair.mentee_id == person.id, Pair.mentor_id == person.id),
                Pair.state.in_(list(states)),
                Pair.activated_at.is_not(None),
            )
            .order_by(Pair.ended_at.desc(), Pair.id.desc())
            .options(*WITH_MEMBERS)
        )
        .scalars()
        .all()
    )


def latest_between(
    session: Session, *, a_id: int, b_id: int, states: Collection[PairState]
) -> Pair | None:
    """The newest pair of these two people (either way round) in `states`."""
    return session.execute(
        select(Pair)
        .where(
            or_(
                (Pair.mentee_id == a_id) & (Pair.mentor_id == b_id),
                (Pair.mentee_id == b_id) & (Pair.mentor_id == a_id),
            ),
            Pair.state.in_(list(states)),
        )
        .order_by(Pair.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def completed_checkins(session: Session, *, pair_ids: Sequence[int]) -> dict[int, int]:
    """Complete check-ins per pair, in one query."""
    if not pair_ids:
        return {}
    return {
        pair_id: int(count)
        for pair_id, count in session.execute(
            select(CheckIn.pair_id, func.count())
            .where(CheckIn.pair_id.in_(list(pair_ids)), CheckIn.completed_at.is_not(None))
            .group_by(CheckIn.pair_id)
        )
    }
