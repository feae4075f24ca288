"""Queries on check-ins, and on which Rounds post started a thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.store.models import CheckIn, CheckInPost, Delivery, DeliveryKind, Pair


def open_round(session: Session, *, pair_id: int) -> CheckIn | None:
    return session.execute(
        select(CheckIn)
        .where(CheckIn.pair_id == pair_id, CheckIn.completed_at.is_(None))
        .order_by(CheckIn.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def has_open_activity(session: Session, *, pair_id: int) -> bool:
    """Has anyone checked in or answered in the pair's round that is not complete yet?"""
    found = session.execute(
        select(CheckIn.id)
        .where(
            CheckIn.pair_id == pair_id,
            CheckIn.completed_at.is_(None),
            or_(
                CheckIn.mentee_checked_in_at.is_not(None),
                CheckIn.mentor_responded_at.is_not(None),
            ),
        )
        .limit(1)
    ).first()
    return found is not None


def activity_since(session: Session, *, pair_id: int, since: datetime) -> bool:
    """Did either member check in, reply or say "we met" at or after `since`?"""
    found = session.execute(
        select(CheckIn.id)
        .where(
            CheckIn.pair_id == pair_id,
            or_(
                CheckIn.mentee_checked_in_at >= since,
                CheckIn.mentor_responded_at >= since,
                CheckIn.completed_at >= since,
            ),
        )
        .limit(1)
    ).first()
    return found is not None


def add_post(session: Session, *, checkin: CheckIn, channel_id: str, ts: str) -> None:
    """Remember one more post of a round; every post's thread answers that round."""
    session.add(CheckInPost(checkin=checkin, channel_id=channel_id, ts=ts))


def round_of_post(session: Session, *, channel_id: str, ts: str) -> CheckIn | None:
    """The round a check-in post belongs to, if Rounds made that post."""
    return session.execute(
        select(CheckIn)
        .join(CheckInPost, CheckInPost.checkin_id == CheckIn.id)
        .where(CheckInPost.channel_id == channel_id, CheckInPost.ts == ts)
    ).scalar_one_or_none()


def nudge_of_thread(session: Session, *, channel_id: str, thread_ts: str) -> Delivery | None:
    """The check-in prompt (or follow-up) that is the thread's first message, if any."""
    return session.execute(
        select(Delivery).where(
            Delivery.channel_id == channel_id,
            Delivery.ts == thread_ts,
            # Replies to a gratitude or wrap-up DM are not a check-in; to the kick-off they are.
            Delivery.kind.in_((DeliveryKind.PROMPT, DeliveryKind.FOLLOW_UP, DeliveryKind.KICK_OFF)),
        )
    ).scalar_one_or_none()


def pair_id_for_thread(session: Session, *, channel_id: str, thread_ts: str) -> int | None:
    """The pair whose check-in post or nudge is the thread's first message, if Rounds posted it."""
    from_checkin = session.execute(
        select(CheckIn.pair_id)
        .join(CheckInPost, CheckInPost.checkin_id == CheckIn.id)
        .where(CheckInPost.channel_id == channel_id, CheckInPost.ts == thread_ts)
    ).scalar_one_or_none()
    if from_checkin is not None:
        return from_checkin
    nudge = nudge_of_thread(session, channel_id=channel_id, thread_ts=thread_ts)
    return nudge.pair_id if nudge is not None else None


def latest_complete(session: Session, *, pair_id: int) -> CheckIn | None:
    return session.execute(
        select(CheckIn)
        .where(CheckIn.pair_id == pair_id, CheckIn.completed_at.is_not(None))
        .order_by(CheckIn.completed_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def recent(session: Session, *, pair_ids: Sequence[int], limit: int) -> Sequence[CheckIn]:
    if not pair_ids:
        return []
    return (
        session.execute(
            select(CheckIn)
            .where(
                CheckIn.pair_id.in_(list(pair_ids)),
                or_(CheckIn.completed_at.is_not(None), CheckIn.mentee_checked_in_at.is_not(None)),
            )
            .order_by(CheckIn.opened_at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def completed_since(session: Session, *, workspace_id: int, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CheckIn)
            .join(Pair, CheckIn.pair_id == Pair.id)
            .where(Pair.workspace_id == workspace_id, CheckIn.completed_at >= since)
        )
        or 0
    )


def latest_unanswered_post(session: Session, *, pair_ids: Sequence[int]) -> CheckInPost | None:
    """The newest check-in post in these pairs whose round nobody answered and no meeting
    closed."""
    if not pair_ids:
        return None
    return session.execute(
        select(CheckInPost)
        .join(CheckIn, CheckInPost.checkin_id == CheckIn.id)
        .where(
            CheckIn.pair_id.in_(list(pair_ids)),
            CheckIn.mentor_responded_at.is_(None),
            CheckIn.completed_at.is_(None),
            CheckIn.met_on.is_(None),
        )
        .order_by(CheckInPost.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def other_posts_of_round(session: Session, *, post: CheckInPost) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CheckInPost)
            .where(CheckInPost.checkin_id == post.checkin_id, CheckInPost.id != post.id)
        )
        or 0
    )
