"""Turns pair schedules into due deliveries: one row per (pair, kind, period)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours
from bot.domain.endings import plan_due_catch_ups
from bot.domain.kickoff import plan_due_kick_offs
from bot.domain.nudges import end_pause_if_over, plan_prompts
from bot.domain.program.calendar import Calendars
from bot.domain.program.digest import plan_digests
from bot.domain.workspaces import Presence, forget_departed
from bot.store.deliveries import pairs_with_pause_over
from bot.store.events import forget_old_events
from bot.store.models import Workspace
from bot.store.planning import due_pairs

BATCH = 5000


@dataclass
class PlanReport:
    planned: int = 0
    resumed: int = 0
    digests: int = 0
    kick_offs: int = 0
    catch_ups: int = 0
    workspaces_revived: int = 0  # uninstalled, then installed again
    workspaces_deleted: int = 0  # uninstalled for 30 days: every row about them deleted


def plan_due(
    session: Session,
    *,
    now: datetime,
    hours: WorkingHours,
    holidays: str | None = None,
    coordinators: Collection[str] = (),
    presence: Callable[[Workspace], Presence] | None = None,
) -> PlanReport:
    """End every pause that is over, plan every prompt due by `now` (moved off blackout
    days) and each coordinator's coming digest, BATCH pairs at a time. Touches only due rows,
    found through indexes. With `presence` (what Slack says of each uninstalled workspace),
    also bring back the workspaces installed again and delete those gone for 30 days."""
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
    if presence is not None:
        departed = forget_departed(session, now=now, presence=presence)
        report.workspaces_revived = len(departed.revived)
        report.workspaces_deleted = len(departed.deleted)
    return report
