"""Turns pair schedules into due deliveries (one row per pair, kind and period)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session


@dataclass
class PlanReport:
    planned: int = 0


def plan_due(session: Session, *, now: datetime) -> PlanReport:
    """Insert the deliveries that are due by `now`. Pairs and their cadence arrive in issue 3/4."""
    return PlanReport()
