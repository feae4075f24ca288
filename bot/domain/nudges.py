"""Rules for nudges other than the regular prompt: gratitude reminders and wrap-ups."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.cadence import (
    WorkingHours,
    local_instant,
    next_working_day,
    next_working_moment,
    zone,
)
from bot.store.models import CheckIn, Delivery, DeliveryKind, DeliveryStatus, Pair
from bot.store.upsert import insert_ignoring_duplicates

GRATITUDE_COOLDOWN = timedelta(days=30)
LIVE_DELIVERY = (DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING, DeliveryStatus.SENT)


def plan_gratitude(
    session: Session, *, pair: Pair, checkin: CheckIn, hours: WorkingHours, now: datetime
) -> bool:
    """Remind the mentee to thank their mentor the working day after a complete check-in,
    at most once per 30 days per pair. True when a reminder was planned."""
    recent = session.execute(
        select(Delivery.id)
        .where(
            Delivery.pair_id == pair.id,
            Delivery.kind == DeliveryKind.GRATITUDE,
            Delivery.status.in_(LIVE_DELIVERY),
            Delivery.due_at > now - GRATITUDE_COOLDOWN,
        )
        .limit(1)
    ).first()
    if recent is not None:
        return False
    mentee_zone = zone(pair.mentee.tz)
    day = next_working_day(now.astimezone(mentee_zone).date())
    moment = pair.cadence_time if hours.contains(pair.cadence_time) else hours.start
    return insert_ignoring_duplicates(
        session,
        Delivery,
        {
            "pair_id": pair.id,
            "kind": DeliveryKind.GRATITUDE,
            "period": f"checkin-{checkin.id}",
            "status": DeliveryStatus.SCHEDULED,
            "due_at": local_instant(day, moment, mentee_zone),
            "created_at": now,
        },
    )


def plan_wrap_up(session: Session, *, pair: Pair, hours: WorkingHours, now: datetime) -> bool:
    """When a pair ends, the mentee hears a thank-you-and-pay-it-forward note, once, in
    their working hours."""
    return insert_ignoring_duplicates(
        session,
        Delivery,
        {
            "pair_id": pair.id,
            "kind": DeliveryKind.WRAP_UP,
            "period": "end",
            "status": DeliveryStatus.SCHEDULED,
            "due_at": next_working_moment(now, zone(pair.mentee.tz), hours),
            "created_at": now,
        },
    )
