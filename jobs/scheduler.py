"""APScheduler 3.x as a timer, nothing else: the schedule itself lives in our tables."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.config import Settings
from bot.slack_out import make_web_client
from bot.store.db import SessionFactory
from jobs.tick import run_dispatcher, run_planner

log = logging.getLogger("rounds.jobs")

PLANNER_EVERY_SECONDS = 60
DISPATCHER_EVERY_SECONDS = 5


def start_scheduler(settings: Settings, sessions: SessionFactory) -> BackgroundScheduler:
    client = make_web_client(settings)
    scheduler = BackgroundScheduler(timezone=UTC)
    # A timer that fell behind runs once, not once per missed beat: each pass reads the
    # clock itself and catches up on everything due.
    beat = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler.add_job(
        lambda: run_planner(sessions, now=datetime.now(UTC)),
        "interval",
        seconds=PLANNER_EVERY_SECONDS,
        id="planner",
        next_run_time=datetime.now(UTC),
        **beat,
    )
    scheduler.add_job(
        lambda: run_dispatcher(sessions, client, now=datetime.now(UTC)),
        "interval",
        seconds=DISPATCHER_EVERY_SECONDS,
        id="dispatcher",
        **beat,
    )
    scheduler.start()
    log.info(
        "scheduler started: planner every %ds, dispatcher every %ds",
        PLANNER_EVERY_SECONDS,
        DISPATCHER_EVERY_SECONDS,
    )
    return scheduler
