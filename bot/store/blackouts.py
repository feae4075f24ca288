"""Queries on the academic calendar's blackouts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store.models import Blackout
from bot.store.upsert import insert_ignoring_duplicates


def add(
    session: Session,
    *,
    workspace_id: int,
    starts_on: date,
    ends_on: date,
    name: str,
    source: str,
    now: datetime,
) -> bool:
    """True when this blackout is new; the same dates and name again change nothing."""
    return insert_ignoring_duplicates(
        session,
        Blackout,
        {
            "workspace_id": workspace_id,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "name": name,
            "source": source,
            "created_at": now,
        },
    )


def ending_on_or_after(session: Session, *, workspace_id: int, day: date) -> Sequence[Blackout]:
    """Current and coming blackouts, in calendar order."""
    return (
        session.execute(
            select(Blackout)
            .where(Blackout.workspace_id == workspace_id, Blackout.ends_on >= day)
            .order_by(Blackout.starts_on, Blackout.ends_on, Blackout.id)
        )
        .scalars()
        .all()
    )


def remove(session: Session, *, blackout_id: int) -> None:
    session.execute(delete(Blackout).where(Blackout.id == blackout_id))
