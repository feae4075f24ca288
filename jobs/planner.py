"""Turns pair schedules into due deliveries: one row per (pair, kind, period)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours
from bot.domain.endings import plan_due_catch_ups
from bot.domain.kickoff import plan_due_kick_offs
from bot.domain.nudges import end_pause_if_over, plan_prompts
from bot.domain.program.calendar import Calendars
from bot.domain.program.digest import plan_digests
from bot.store.deliveries import pairs_with_pause_over
from bot.store.events import forget_old_events
from bot.store.planning import due_pairs

BATCH = 5000


@dataclass
class PlanReport:
    planned: int = 0
    resumed: int = 0
    digests: int = 0
    kick_offs: int = 0
    catch_ups: int = 0


def plan_due(
    session: Session,
    *,
    now: datetime,
    hours: WorkingHours,
    holidays: str | None = None,
    coordinators: Collection[str] = (),
) -> PlanReport:
    """End every pause that is over, plan every prompt due by `now` (moved off blackout
    days) and each coordinator's coming digest, BATCH pairs at a time. Touches only due rows,
    found through indexes."""
    report = PlanReport()
    calendars = Calendars(holidays)
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
        report.planned += plan_prompts(
            session,
            due,
            hours=hours,
            now=now,
            calendar_of=lambda workspace_id: calendars.for_workspace(
                session, workspace_id, now=now
            ),
        )
    # Each pass clears or advances the rows it plans, so these loops end.
    while added := plan_due_kick_offs(session, now=now, limit=BATCH):
        report.kick_offs += added
        session.flush()
    while added := plan_due_catch_ups(session, now=now, hours=hours, limit=BATCH):
        report.catch_ups += added
        session.flush()
    report.digests = plan_digests(session, now=now, configured=coordinators, calendars=calendars)
    forget_old_events(session, now=now)
    return report
