"""Claims due deliveries and sends them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.db import SessionFactory
from bot.store.models import Delivery, DeliveryStatus


@dataclass
class DispatchReport:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0


def count_due(session: Session, *, now: datetime) -> int:
    statement = select(func.count()).where(
        Delivery.status == DeliveryStatus.SCHEDULED, Delivery.due_at <= now
    )
    return int(session.scalar(statement) or 0)


def dispatch_due(sessions: SessionFactory, client: WebClient, *, now: datetime) -> DispatchReport:
    with sessions() as session:
        count_due(session, now=now)
    return DispatchReport()
