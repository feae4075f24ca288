"""Queries on the mentor directory."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from bot.store.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    MentorOffer,
    Pair,
    PairState,
    Person,
)


def offer_of(session: Session, *, person_id: int) -> MentorOffer | None:
    return session.execute(
        select(MentorOffer).where(MentorOffer.person_id == person_id)
    ).scalar_one_or_none()


def remove_offer(session: Session, *, person_id: int) -> bool:
    removed = session.execute(
        delete(MentorOffer)
        .where(MentorOffer.person_id == person_id)
        .returning(MentorOffer.id)
        .execution_options(synchronize_session=False)
    ).first()
    return removed is not None


def offers_in_workspace(session: Session, *, workspace_id: int) -> Sequence[MentorOffer]:
    """Everyone in the workspace's directory, people loaded, oldest offer first."""
    return (
        session.execute(
            select(MentorOffer)
            .join(Person, MentorOffer.person_id == Person.id)
            .where(Person.workspace_id == workspace_id)
            .order_by(MentorOffer.offered_at, MentorOffer.id)
            .options(joinedload(MentorOffer.person))
        )
        .scalars()
        .all()
    )


def mentee_counts(
    session: Session, *, mentor_ids: Sequence[int], states: Collection[PairState]
) -> dict[int, int]:
    """Mentees per mentor in `states`, in one query."""
    if not mentor_ids:
        return {}
    return {
        mentor_id: int(count)
        for mentor_id, count in session.execute(
            select(Pair.mentor_id, func.count())
            .where(Pair.mentor_id.in_(list(mentor_ids)), Pair.state.in_(list(states)))
            .group_by(Pair.mentor_id)
        )
    }


def partners_of(session: Session, *, mentee_id: int, states: Collection[PairState]) -> set[int]:
    """The mentors this mentee is paired with in `states`."""
    return set(
        session.execute(
            select(Pair.mentor_id).where(Pair.mentee_id == mentee_id, Pair.state.in_(list(states)))
        ).scalars()
    )


def invitation_sent_to(session: Session, *, mentee_id: int, other_than: int) -> bool:
    """Has this person had (or are they being sent) their pay-it-forward invitation through
    another delivery, of any of their pairs?"""
    found = session.execute(
        select(Delivery.id)
        .join(Pair, Delivery.pair_id == Pair.id)
        .where(
            Pair.mentee_id == mentee_id,
            Delivery.kind == DeliveryKind.PAY_IT_FORWARD,
            Delivery.id != other_than,
            Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.SENDING)),
        )
        .limit(1)
    ).first()
    return found is not None
