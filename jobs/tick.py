"""One planner pass and one dispatcher pass, as of a given instant."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.cadence import WorkingHours
from bot.domain.workspaces import Presence
from bot.slack_out import WorkspaceClients
from bot.store.db import SessionFactory
from bot.store.installations import uninstalled_workspaces
from bot.store.models import Workspace
from jobs.dispatcher import Dispatcher, DispatchReport
from jobs.planner import PlanReport, plan_due

log = logging.getLogger("rounds.jobs")


@dataclass
class TickReport:
    plan: PlanReport
    dispatch: DispatchReport


def ask_about_departed(
    sessions: SessionFactory, clients: WorkspaceClients
) -> Callable[[Workspace], Presence]:
    """What Slack says of each workspace marked uninstalled, asked before the planner's
    transaction (Slack can be slow; the transaction should not wait for it)."""
    with sessions() as session:
        marked = list(uninstalled_workspaces(session))
    verdicts = {workspace.id: clients.presence(workspace) for workspace in marked}
    return lambda workspace: verdicts.get(workspace.id, Presence.UNKNOWN)


def run_planner(
    sessions: SessionFactory,
    *,
    hours: WorkingHours,
    now: datetime,
    holidays: str | None = None,
    coordinators: Collection[str] = (),
    clients: WorkspaceClients | None = None,
) -> PlanReport:
    """One planner pass; with `clients`, uninstalled workspaces are checked on too."""
    presence = ask_about_departed(sessions, clients) if clients is not None else None
    with sessions.begin() as session:
        report = plan_due(
            session,
            now=now,
            hours=hours,
            holidays=holidays,
            coordinators=coordinators,
            presence=presence,
        )
    if report.workspaces_deleted or report.workspaces_revived:
        log.info(
            "workspaces: %d deleted after 30 days uninstalled, %d installed again",
            report.workspaces_deleted,
            report.workspaces_revived,
        )
    return report


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
        clients=dispatcher.clients,
    )
    return TickReport(plan=plan, dispatch=dispatcher.run(now=now))
