"""Queries on the nudge outbox and on the pairs the planner looks at.

Claims use FOR UPDATE SKIP LOCKED on PostgreSQL, so any number of dispatchers share the
outbox without a leader; SQLite has one writer (BEGIN IMMEDIATE), which is the same promise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.store.installations import pair_is_installed
from bot.store.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Pair,
    PairState,
)
from bot.store.upsert import insert_ignoring_duplicates

_WITH_MEMBERS = (selectinload(Pair.mentee), selectinload(Pair.mentor))


def pairs_due_for_prompt(session: Session, *, now: datetime, limit: int) -> Sequence[Pair]:
    """Active pairs whose next prompt time has come, with both members, in one statement;
    reads only due rows, through an index."""
    return (
        session.execute(
            select(Pair)
            .where(Pair.state == PairState.ACTIVE, Pair.next_prompt_at <= now, pair_is_installed())
            .order_by(Pair.next_prompt_at)
            .limit(limit)
            .options(
                joinedload(Pair.mentee, innerjoin=True), joinedload(Pair.mentor, innerjoin=True)
            )
            .with_for_update(skip_locked=True, of=Pair)
        )
        .unique()
        .scalars()
        .all()
    )


def pairs_with_pause_over(
    session: Session, *, today_utc: date, after: tuple[date, int] | None = None, limit: int
) -> Sequence[Pair]:
    """Paused pairs whose date may have come somewhere on Earth (the caller checks the zone),
    in (date, ID) order after `after`. Pairs whose date has not yet come in their own zone
    stay paused, so callers page on with `after` rather than asking again from the start.
    The order is the (state, paused_until) index's own, so only those rows are read (ordered
    by ID alone, SQLite would rather walk the whole table in ID order)."""
    query = select(Pair).where(
        Pair.state == PairState.PAUSED,
        Pair.paused_until <= today_utc + timedelta(days=1),
        pair_is_installed(),
    )
    if after is not None:
        query = query.where(tuple_(Pair.paused_until, Pair.id) > tuple_(*after))
    return (
        session.execute(
            query.order_by(Pair.paused_until, Pair.id)
            .limit(limit)
            .options(*_WITH_MEMBERS)
            .with_for_update(skip_locked=True, of=Pair)
        )
        .scalars()
        .all()
    )


def add_delivery(
    session: Session,
    *,
    pair_id: int,
    kind: DeliveryKind,
    period: str,
    due_at: datetime,
    now: datetime,
    thread_ts: str | None = None,
    channel_id: str | None = None,
) -> bool:
    """One row per (pair, kind, period): a second insert for the same period is a no-op."""
    return insert_ignoring_duplicates(
        session,
        Delivery,
        {
            "pair_id": pair_id,
            "kind": kind,
            "period": period,
            "status": DeliveryStatus.SCHEDULED,
            "due_at": due_at,
            "created_at": now,
            "attempts": 0,
            "in_doubt": False,
            "thread_ts": thread_ts,
            "channel_id": channel_id,
        },
    )


def claim_due(
    session: Session,
    *,
    due_by: datetime,
    now: datetime,
    lease: timedelta,
    worker: str,
    limit: int,
) -> Sequence[Delivery]:
    """Take up to `limit` deliveries due by `due_by` (and ones whose earlier claim's lease ran
    out). `now` is the real time: leases are taken and compared on it, whatever instant
    `due_by` rehearses, so a claim is never born expired and a rehearsal never steals one."""
    due = or_(
        and_(
            Delivery.status == DeliveryStatus.SCHEDULED,
            Delivery.due_at <= due_by,
            or_(Delivery.not_before.is_(None), Delivery.not_before <= due_by),
        ),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_expires_at < now),
    )
    claimed = (
        session.execute(
            select(Delivery)
            .where(due)
            .order_by(Delivery.due_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for delivery in claimed:
        if delivery.status is DeliveryStatus.SENDING:
            # The last claimer vanished mid-send: its post may have reached Slack.
            delivery.in_doubt = True
        delivery.status = DeliveryStatus.SENDING
        delivery.lease_expires_at = now + lease
        delivery.claimed_by = worker
        delivery.attempts += 1
    return claimed


def claim_still_mine(
    session: Session, *, delivery_id: int, worker: str, now: datetime, lease: timedelta
) -> bool:
    """Mark the delivery in doubt and renew its lease from `now` (the real time), if this
    worker still holds it; commit. False when another dispatcher re-claimed it: then this one
    must not post."""
    renewed = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.claimed_by == worker,
            Delivery.status == DeliveryStatus.SENDING,
        )
        .values(in_doubt=True, lease_expires_at=now + lease)
        .returning(Delivery.id)
        .execution_options(synchronize_session="fetch")
    ).first()
    session.commit()
    return renewed is not None


def release_unstarted(session: Session, *, delivery_id: int, worker: str) -> bool:
    """Give back a claim this worker never started on (it is stopping): due again at once,
    for any dispatcher. One that may have been posted (in doubt) stays leased instead."""
    released = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.claimed_by == worker,
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.in_doubt.is_(False),
        )
        .values(
            status=DeliveryStatus.SCHEDULED,
            lease_expires_at=None,
            claimed_by=None,
            attempts=Delivery.attempts - 1,
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).first()
    return released is not None


def latest_sent_prompt(session: Session, pair_id: int) -> Delivery | None:
    return session.execute(
        select(Delivery)
        .where(
            Delivery.pair_id == pair_id,
            Delivery.kind == DeliveryKind.PROMPT,
            Delivery.status == DeliveryStatus.SENT,
        )
        .order_by(Delivery.finished_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def prompt_of_follow_up(session: Session, follow_up: Delivery) -> Delivery | None:
    return session.execute(
        select(Delivery).where(
            Delivery.pair_id == follow_up.pair_id,
            Delivery.kind == DeliveryKind.PROMPT,
            Delivery.period == follow_up.period,
        )
    ).scalar_one_or_none()


def latest_post_time(session: Session, pair_id: int) -> datetime | None:
    """When Rounds last posted a nudge for the pair."""
    return session.execute(
        select(Delivery.finished_at)
        .where(Delivery.pair_id == pair_id, Delivery.status == DeliveryStatus.SENT)
        .order_by(Delivery.finished_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def scheduled_for_pairs(session: Session, pair_ids: Sequence[int]) -> Sequence[Delivery]:
    if not pair_ids:
        return []
    return (
        session.execute(
            select(Delivery)
            .where(Delivery.pair_id.in_(pair_ids), Delivery.status == DeliveryStatus.SCHEDULED)
            .order_by(Delivery.due_at)
        )
        .scalars()
        .all()
    )


def recent_delivery_exists(
    session: Session,
    *,
    pair_id: int,
    kind: DeliveryKind,
    statuses: Sequence[DeliveryStatus],
    due_after: datetime,
) -> bool:
    found = session.execute(
        select(Delivery.id)
        .where(
            Delivery.pair_id == pair_id,
            Delivery.kind == kind,
            Delivery.status.in_(list(statuses)),
            Delivery.due_at > due_after,
        )
        .limit(1)
    ).first()
    return found is not None


def skip_scheduled(
    session: Session, *, pair_id: int, kind: DeliveryKind, period: str, reason: str, now: datetime
) -> int:
    """Skip the (pair, kind, period) delivery if it is still scheduled; how many were."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.pair_id == pair_id,
            Delivery.kind == kind,
            Delivery.period == period,
            Delivery.status == DeliveryStatus.SCHEDULED,
        )
        .values(status=DeliveryStatus.SKIPPED, outcome=reason, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def add_person_delivery(
    session: Session,
    *,
    person_id: int,
    kind: DeliveryKind,
    period: str,
    due_at: datetime,
    now: datetime,
    skipped_because: str | None = None,
) -> bool:
    """One row per (person, kind, period), for deliveries addressed to a person (digests).
    With `skipped_because` the row records a decision not to send, so it is made once."""
    return insert_ignoring_duplicates(
        session,
        Delivery,
        {
            "person_id": person_id,
            "kind": kind,
            "period": period,
            "status": DeliveryStatus.SKIPPED if skipped_because else DeliveryStatus.SCHEDULED,
            "outcome": skipped_because,
            "finished_at": now if skipped_because else None,
            "due_at": due_at,
            "created_at": now,
            "attempts": 0,
            "in_doubt": False,
        },
    )


def person_delivery_exists(
    session: Session, *, person_id: int, kind: DeliveryKind, period: str
) -> bool:
    found = session.execute(
        select(Delivery.id).where(
            Delivery.person_id == person_id, Delivery.kind == kind, Delivery.period == period
        )
    ).first()
    return found is not None


def latest_due_of_kind(
    session: Session, *, kind: DeliveryKind, workspace_id: int
) -> datetime | None:
    """The latest due time among a workspace's scheduled deliveries of one kind (for pacing)."""
    return session.execute(
        select(func.max(Delivery.due_at))
        .join(Pair, Delivery.pair_id == Pair.id)
        .where(
            Delivery.kind == kind,
            Delivery.status == DeliveryStatus.SCHEDULED,
            Pair.workspace_id == workspace_id,
        )
    ).scalar_one_or_none()


def sent_prompt_at(session: Session, *, channel_id: str, ts: str) -> Delivery | None:
    """The check-in prompt Rounds posted as this message, if it is one."""
    return session.execute(
        select(Delivery).where(
            Delivery.channel_id == channel_id,
            Delivery.ts == ts,
            Delivery.kind == DeliveryKind.PROMPT,
            Delivery.status == DeliveryStatus.SENT,
        )
    ).scalar_one_or_none()
