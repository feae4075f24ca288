"""Turns pair schedules into due deliveries: one row per (pair, kind, period)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours
from bot.domain.endings import plan_due_catch_ups
from bot.domain.kickoff import plan_due_kick_offs
from bot.domain.nudges import end_pause_if_over, plan_prompt
from bot.domain.program.calendar import Calendars
from bot.domain.program.digest import plan_digests
from bot.domain.workspaces import Presence, forget_departed
from bot.store.deliveries import pairs_due_for_prompt, pairs_with_pause_over
from bot.store.events import forget_old_events
from bot.store.models import Workspace

BATCH = 500


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
    last_id = 0
    # A pause whose date has not come in the mentee's zone yet stays, so page by ID.
    while paused := pairs_with_pause_over(
        session, today_utc=now.date(), after_id=last_id, limit=BATCH
    ):
        for pair in paused:
            report.resumed += end_pause_if_over(pair, hours=hours, now=now)
        last_id = paused[-1].id
        session.flush()
    while due := pairs_due_for_prompt(session, now=now, limit=BATCH):
        for pair in due:
            calendar = calendars.for_workspace(session, pair.workspace_id, now=now)
            report.planned += plan_prompt(session, pair, hours=hours, now=now, calendar=calendar)
        session.flush()
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
