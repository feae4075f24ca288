"""Queries on pairs."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.store.models import HIGHER_MEMBER, LOWER_MEMBER, Pair, PairState, Person

# Every screen that shows a pair names both members: load them in the same query.
WITH_MEMBERS = (joinedload(Pair.mentee, innerjoin=True), joinedload(Pair.mentor, innerjoin=True))


def pairs_of(session: Session, person: Person, *, states: Collection[PairState]) -> Sequence[Pair]:
    """The person's pairs in `states`, as mentee and as mentor, oldest first, members loaded."""
    return (
        session.execute(
            select(Pair)
            .where(
                or_(Pair.mentee_id == person.id, Pair.mentor_id == person.id),
                Pair.state.in_(list(states)),
            )
            .order_by(Pair.id)
            .options(*WITH_MEMBERS)
        )
        .scalars()
        .all()
    )


def pair_between(
    session: Session, *, a: Person, b: Person, states: Collection[PairState]
) -> Pair | None:
    """The pair of a and b, whichever is the mentor. For live states the database holds at most
    one (uq_pairs_live_members); the query reads that index."""
    return session.execute(
        select(Pair).where(
            literal(min(a.id, b.id)) == LOWER_MEMBER,
            literal(max(a.id, b.id)) == HIGHER_MEMBER,
            Pair.state.in_(list(states)),
        )
    ).scalar_one_or_none()


def add_unless_taken(session: Session, pair: Pair) -> bool:
    """Insert a new pair; False (and nothing added) when the database already holds a live pair
    of the same two people — one another request committed a moment ago."""
    try:
        with session.begin_nested():
            session.add(pair)
            session.flush()
    except IntegrityError as error:
        if "uq_pairs_live_members" not in str(error.orig):
            raise
        return False
    return True


def count_mentees(session: Session, mentor: Person, *, states: Collection[PairState]) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Pair)
            .where(Pair.mentor_id == mentor.id, Pair.state.in_(list(states)))
        )
        or 0
    )


def lock(session: Session, pair: Pair) -> None:
    """Hold the pair's row until the transaction ends (a no-op on SQLite, which has one writer)."""
    session.execute(select(Pair.id).where(Pair.id == pair.id).with_for_update())


def all_in_states(session: Session, *, states: Collection[PairState]) -> Sequence[Pair]:
    return (
        session.execute(
            select(Pair)
            .where(Pair.state.in_(list(states)))
            .order_by(Pair.id)
            .options(selectinload(Pair.mentee), selectinload(Pair.mentor))
        )
        .scalars()
        .all()
    )


def state_counts(session: Session, *, workspace_id: int) -> dict[PairState, int]:
    return {
        state: count
        for state, count in session.execute(
            select(Pair.state, func.count())
            .where(Pair.workspace_id == workspace_id)
            .group_by(Pair.state)
        )
    }


def going_cold(
    session: Session, *, workspace_id: int, states: Collection[PairState]
) -> Sequence[Pair]:
    return (
        session.execute(
            select(Pair)
            .where(
                Pair.workspace_id == workspace_id,
                Pair.going_cold.is_(True),
                Pair.state.in_(list(states)),
            )
            .order_by(Pair.id)
        )
        .scalars()
        .all()
    )
