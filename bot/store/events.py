"""Which Slack events Rounds has already processed — and, by the same one-row-per-key
promise, which button clicks it has acted on and which form posts may have reached Slack."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store.models import ProcessedEvent
from bot.store.upsert import insert_ignoring_duplicates

# Slack gives up retrying an event after about an hour; a day is plenty.
EVENT_MEMORY = timedelta(days=1)


def claim_event(session: Session, *, event_id: str, now: datetime) -> bool:
    """True the first time an event ID is seen (until this transaction rolls back)."""
    return insert_ignoring_duplicates(
        session, ProcessedEvent, {"event_id": event_id, "received_at": now}
    )


def remembers(session: Session, *, event_id: str) -> bool:
    found = session.execute(
        select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id)
    ).first()
    return found is not None


def forget_event(session: Session, *, event_id: str) -> None:
    """Release a claim whose work did not happen, so it can be tried again."""
    session.execute(delete(ProcessedEvent).where(ProcessedEvent.event_id == event_id))


def forget_old_events(session: Session, *, now: datetime) -> int:
    result = session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.received_at < now - EVENT_MEMORY)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
