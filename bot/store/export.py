"""Per-pair counts for the program export, a handful of grouped queries for any size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.store.models import CheckIn, Delivery, DeliveryKind, DeliveryStatus, Goal, GoalStatus, Pair
from bot.store.pairs import WITH_MEMBERS


def pairs_of_workspace(session: Session, *, workspace_id: int) -> Sequence[Pair]:
    return (
        session.execute(
            select(Pair)
            .where(Pair.workspace_id == workspace_id)
            .order_by(Pair.id)
            .options(*WITH_MEMBERS)
        )
        .scalars()
        .all()
    )


def completed_checkins(session: Session, *, workspace_id: int) -> dict[int, int]:
    rows = session.execute(
        select(CheckIn.pair_id, func.count())
        .join(Pair, CheckIn.pair_id == Pair.id)
        .where(Pair.workspace_id == workspace_id, CheckIn.completed_at.is_not(None))
        .group_by(CheckIn.pair_id)
    )
    return {pair_id: int(count) for pair_id, count in rows}


def goal_counts(session: Session, *, workspace_id: int) -> dict[tuple[int, GoalStatus], int]:
    rows = session.execute(
        select(Goal.pair_id, Goal.status, func.count())
        .join(Pair, Goal.pair_id == Pair.id)
        .where(Pair.workspace_id == workspace_id)
        .group_by(Goal.pair_id, Goal.status)
    )
    return {(pair_id, status): int(count) for pair_id, status, count in rows}


def sent_prompt_times(session: Session, *, workspace_id: int) -> dict[int, list[datetime]]:
    times: dict[int, list[datetime]] = defaultdict(list)
    rows = session.execute(
        select(Delivery.pair_id, Delivery.finished_at)
        .join(Pair, Delivery.pair_id == Pair.id)
        .where(
            Pair.workspace_id == workspace_id,
            Delivery.kind == DeliveryKind.PROMPT,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.finished_at.is_not(None),
        )
        .order_by(Delivery.pair_id, Delivery.finished_at)
    )
    for pair_id, finished_at in rows:
        if pair_id is not None and finished_at is not None:
            times[pair_id].append(finished_at)
    return times


def activity_times(session: Session, *, workspace_id: int) -> dict[int, list[datetime]]:
    """When either member checked in, answered or completed a round, per pair, in order."""
    times: dict[int, list[datetime]] = defaultdict(list)
    rows = session.execute(
        select(
            CheckIn.pair_id,
            CheckIn.mentee_checked_in_at,
            CheckIn.mentor_responded_at,
            CheckIn.completed_at,
        )
        .join(Pair, CheckIn.pair_id == Pair.id)
        .where(
            Pair.workspace_id == workspace_id,
            or_(
                CheckIn.mentee_checked_in_at.is_not(None),
                CheckIn.mentor_responded_at.is_not(None),
                CheckIn.completed_at.is_not(None),
            ),
        )
    )
    for pair_id, *moments in rows:
        times[pair_id].extend(moment for moment in moments if moment is not None)
    for found in times.values():
        found.sort()
    return times
