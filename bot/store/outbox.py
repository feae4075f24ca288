"""Statements for the dispatcher's batches: what a claimed batch needs to be composed, and
its outcomes recorded, with a few statements per batch rather than a few per delivery.

Every write here names the worker that holds the claim (`claimed_by`) and the SENDING state:
a delivery whose lease ran out and that another dispatcher re-claimed is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from bot.store.id_lists import among
from bot.store.models import Delivery, DeliveryStatus, Goal, GoalStatus, Pair, Person

# Core tables: these statements are built once and run for many rows, with no ORM bookkeeping.
_DELIVERIES = cast(Table, Delivery.__table__)
_PEOPLE = cast(Table, Person.__table__)


def load_pairs(session: Session, pair_ids: Collection[int]) -> Sequence[Pair]:
    """The pairs with both members, loaded into the session so that `delivery.pair` costs
    nothing while the caller keeps the returned list (the session holds objects weakly)."""
    if not pair_ids:
        return []
    return (
        session.execute(
            select(Pair)
            .where(among(session, Pair.id, pair_ids))
            .options(
                joinedload(Pair.mentee, innerjoin=True),
                joinedload(Pair.mentor, innerjoin=True),
                joinedload(Pair.workspace, innerjoin=True),
            )
        )
        .unique()
        .scalars()
        .all()
    )


def open_goals_by_pair(session: Session, pair_ids: Collection[int]) -> dict[int, list[Goal]]:
    """Each pair's open goals, by number; one statement for the whole batch."""
    found: dict[int, list[Goal]] = defaultdict(list)
    if pair_ids:
        for goal in session.execute(
            select(Goal)
            .where(among(session, Goal.pair_id, pair_ids), Goal.status == GoalStatus.OPEN)
            .order_by(Goal.pair_id, Goal.number)
        ).scalars():
            found[goal.pair_id].append(goal)
    return found


@dataclass(frozen=True)
class Sent:
    delivery_id: int
    channel_id: str
    ts: str


_MARK_SENT = (
    update(_DELIVERIES)
    .where(
        _DELIVERIES.c.id == bindparam("b_id"),
        _DELIVERIES.c.claimed_by == bindparam("b_worker"),
        _DELIVERIES.c.status == DeliveryStatus.SENDING,
    )
    .values(
        status=DeliveryStatus.SENT,
        channel_id=bindparam("b_channel"),
        ts=bindparam("b_ts"),
        outcome="sent",
        finished_at=bindparam("b_now"),
        lease_expires_at=None,
        in_doubt=False,
    )
)


def mark_sent(session: Session, *, sent: Sequence[Sent], worker: str, now: datetime) -> None:
    """Record posts Slack accepted; one statement, run for every row."""
    if sent:
        session.execute(
            _MARK_SENT,
            [
                {
                    "b_id": item.delivery_id,
                    "b_worker": worker,
                    "b_channel": item.channel_id,
                    "b_ts": item.ts,
                    "b_now": now,
                }
                for item in sent
            ],
        )


_RELEASE = (
    update(_DELIVERIES)
    .where(
        _DELIVERIES.c.id == bindparam("b_id"),
        _DELIVERIES.c.claimed_by == bindparam("b_worker"),
        _DELIVERIES.c.status == DeliveryStatus.SENDING,
    )
    .values(
        status=DeliveryStatus.SCHEDULED,
        not_before=bindparam("b_until"),
        # Held back before posting: nothing of this attempt reached Slack.
        in_doubt=False,
        attempts=_DELIVERIES.c.attempts - 1,
        lease_expires_at=None,
        claimed_by=None,
        outcome=bindparam("b_outcome"),
    )
)


def release_unposted(
    session: Session,
    *,
    until: Sequence[tuple[int, datetime | None]],
    worker: str,
    outcome: str = "ratelimited",
) -> None:
    """Hand back claims that were never posted (the rate limit held them, or the worker is
    stopping), to be tried again from `until` (None: at once); that is not an attempt."""
    if until:
        session.execute(
            _RELEASE,
            [
                {"b_id": delivery_id, "b_worker": worker, "b_until": moment, "b_outcome": outcome}
                for delivery_id, moment in until
            ],
        )


def skip_unposted(
    session: Session, *, delivery_ids: Collection[int], worker: str, outcome: str, now: datetime
) -> None:
    """Claims that will not be posted at all (no token for their workspace): skipped."""
    if delivery_ids:
        session.execute(
            update(Delivery)
            .where(
                among(session, Delivery.id, delivery_ids),
                Delivery.claimed_by == worker,
                Delivery.status == DeliveryStatus.SENDING,
            )
            .values(
                status=DeliveryStatus.SKIPPED,
                outcome=outcome[:200],
                finished_at=now,
                lease_expires_at=None,
                in_doubt=False,
            )
            .execution_options(synchronize_session=False)
        )


def note_hours_clash_told(session: Session, *, pair_ids: Collection[int], now: datetime) -> None:
    """The pairs whose members were just told, with a post, that their hours never meet."""
    if pair_ids:
        session.execute(
            update(Pair)
            .where(among(session, Pair.id, pair_ids))
            .values(hours_clash_noted_at=now)
            .execution_options(synchronize_session=False)
        )


def renew_leases(
    session: Session, *, delivery_ids: Collection[int], worker: str, now: datetime, lease: timedelta
) -> set[int]:
    """Extend this worker's leases from `now`; returns the IDs it still holds. Commits."""
    if not delivery_ids:
        return set()
    renewed = session.execute(
        update(Delivery)
        .where(
            among(session, Delivery.id, delivery_ids),
            Delivery.claimed_by == worker,
            Delivery.status == DeliveryStatus.SENDING,
        )
        .values(lease_expires_at=now + lease)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    held = set(renewed)
    session.commit()
    return held


_REMEMBER_DM = (
    update(_PEOPLE)
    .where(_PEOPLE.c.id == bindparam("b_id"))
    .values(dm_channel_id=bindparam("b_channel"))
)


def remember_dm_channels(session: Session, channels: dict[int, str]) -> None:
    """Cache each person's DM channel, learned from a post to their user ID."""
    if channels:
        session.execute(
            _REMEMBER_DM,
            [{"b_id": person_id, "b_channel": channel} for person_id, channel in channels.items()],
        )


def rows_for(deliveries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """New outbox rows, as the bulk insert takes them."""
    return [
        {
            "status": DeliveryStatus.SCHEDULED,
            "attempts": 0,
            "in_doubt": False,
            "thread_ts": None,
            "channel_id": None,
            **row,
        }
        for row in deliveries
    ]
