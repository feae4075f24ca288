"""One planner pass and one dispatcher pass, as of a given instant."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.store.db import SessionFactory
from jobs.dispatcher import DispatchReport, dispatch_due
from jobs.planner import PlanReport, plan_due

log = logging.getLogger("rounds.jobs")


@dataclass
class TickReport:
    plan: PlanReport
    dispatch: DispatchReport


def run_planner(sessions: SessionFactory, *, now: datetime) -> PlanReport:
    try:
        with sessions.begin() as session:
            return plan_due(session, now=now)
    except Exception:
        log.exception("planner pass failed; the next pass will try again")
        return PlanReport()


def run_dispatcher(sessions: SessionFactory, client: WebClient, *, now: datetime) -> DispatchReport:
    try:
        return dispatch_due(sessions, client, now=now)
    except Exception:
        log.exception("dispatcher pass failed; the next pass will try again")
        return DispatchReport()


def tick(sessions: SessionFactory, client: WebClient, *, now: datetime) -> TickReport:
    """Plan, then send everything due by `now`. Errors propagate: the caller decides."""
    with sessions.begin() as session:
        plan = plan_due(session, now=now)
    return TickReport(plan=plan, dispatch=dispatch_due(sessions, client, now=now))
