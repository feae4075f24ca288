"""Turns pair schedules into due deliveries: one row per (pair, kind, period)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours
from bot.domain.nudges import end_pause_if_over, plan_prompts
from bot.store.deliveries import pairs_with_pause_over
from bot.store.events import forget_old_events
from bot.store.planning import due_pairs

BATCH = 5000


@dataclass
class PlanReport:
    planned: int = 0
    resumed: int = 0


def plan_due(session: Session, *, now: datetime, hours: WorkingHours) -> PlanReport:
    """End every pause that is over and plan every prompt due by `now`, BATCH pairs at a
    time. Touches only due rows, found through indexes."""
    report = PlanReport()
    after: tuple[date, int] | None = None
    # A pause whose date has not come in the mentee's zone yet stays, so page on from it.
    while paused := pairs_with_pause_over(session, today_utc=now.date(), after=after, limit=BATCH):
        last = paused[-1]
        assert last.paused_until is not None  # the query asks for a date
        after = (last.paused_until, last.id)
        for pair in paused:
            report.resumed += end_pause_if_over(pair, hours=hours, now=now)
        session.flush()
    # A launch or a day of downtime makes thousands due at once: each batch is read once
    # and written with a few statements (bot.domain.nudges.plan_prompts).
    while due := due_pairs(session, now=now, limit=BATCH):
        report.planned += plan_prompts(session, due, hours=hours, now=now)
    forget_old_events(session, now=now)
    return report
