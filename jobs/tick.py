"""One planner pass and one dispatcher pass, as of a given instant."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.cadence import WorkingHours
from bot.store.db import SessionFactory
from jobs.dispatcher import Dispatcher, DispatchReport
from jobs.planner import PlanReport, plan_due

log = logging.getLogger("rounds.jobs")


@dataclass
class TickReport:
    plan: PlanReport
    dispatch: DispatchReport


def run_planner(
    sessions: SessionFactory,
    *,
    hours: WorkingHours,
    now: datetime,
    holidays: str | None = None,
    coordinators: Collection[str] = (),
) -> PlanReport:
    with sessions.begin() as session:
        return plan_due(session, now=now, hours=hours, holidays=holidays, coordinators=coordinators)


def tick(
    sessions: SessionFactory, dispatcher: Dispatcher, *, now: datetime | None = None
) -> TickReport:
    """Plan, then send everything due by `now` (default: live, as the worker does).
    Errors propagate: the caller decides."""
    plan = run_planner(
        sessions,
        hours=dispatcher.hours,
        now=now or datetime.now(UTC),
        holidays=dispatcher.holidays,
        coordinators=dispatcher.configured_coordinators,
    )
    return TickReport(plan=plan, dispatch=dispatcher.run(now=now))
