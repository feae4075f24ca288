"""Turns pair schedules into due deliveries: one row per (pair, kind, period)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours
from bot.domain.endings import plan_due_catch_ups
from bot.domain.kickoff import plan_due_kick_offs
from bot.domain.nudges import end_pause_if_over, plan_prompt
from bot.store.deliveries import pairs_due_for_prompt, pairs_with_pause_over
from bot.store.events import forget_old_events

BATCH = 500


@dataclass
class PlanReport:
    planned: int = 0
    resumed: int = 0
    kick_offs: int = 0
    catch_ups: int = 0


def plan_due(session: Session, *, now: datetime, hours: WorkingHours) -> PlanReport:
    """Plan every prompt due by `now`. Touches only due rows, found through indexes."""
    report = PlanReport()
    for pair in pairs_with_pause_over(session, today_utc=now.date(), limit=BATCH):
        report.resumed += end_pause_if_over(pair, hours=hours, now=now)
    while due := pairs_due_for_prompt(session, now=now, limit=BATCH):
        for pair in due:
            report.planned += plan_prompt(session, pair, hours=hours, now=now)
        session.flush()
    # Each pass clears or advances the rows it plans, so these loops end.
    while added := plan_due_kick_offs(session, now=now, limit=BATCH):
        report.kick_offs += added
        session.flush()
    while added := plan_due_catch_ups(session, now=now, hours=hours, limit=BATCH):
        report.catch_ups += added
        session.flush()
    forget_old_events(session, now=now)
    return report
