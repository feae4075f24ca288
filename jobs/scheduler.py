"""APScheduler 3.x as a timer, nothing else: the schedule itself lives in our tables."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot.config import Settings
from bot.store.db import SessionFactory
from jobs.dispatcher import Dispatcher
from jobs.profiles import refresh_stale_profiles
from jobs.runtime import clients_for_jobs, make_dispatcher
from jobs.tick import run_planner

log = logging.getLogger("rounds.jobs")

PLANNER_EVERY_SECONDS = 60
DISPATCHER_EVERY_SECONDS = 5
PROFILES_EVERY_SECONDS = 15 * 60


def _guarded(name: str, work: Callable[[datetime], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            work(datetime.now(UTC))
        except Exception:
            log.exception("%s pass failed; the next pass tries again", name)

    return run


def start_scheduler(
    settings: Settings, sessions: SessionFactory, *, stopping: threading.Event | None = None
) -> BackgroundScheduler:
    """`stopping`, once set, keeps the dispatcher from claiming more (see bot.lifecycle)."""
    dispatcher: Dispatcher = make_dispatcher(settings, sessions, stopping=stopping)
    scheduler = BackgroundScheduler(timezone=UTC)
    # A timer that fell behind runs once, not once per missed beat: each pass reads the
    # clock itself and catches up on everything due. No misfire is ever dropped.
    beat = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler.add_job(
        _guarded(
            "planner",
            lambda now: run_planner(
                sessions,
                hours=dispatcher.hours,
                now=now,
                holidays=dispatcher.holidays,
                coordinators=dispatcher.configured_coordinators,
                clients=dispatcher.clients,
            ),
        ),
        "interval",
        seconds=PLANNER_EVERY_SECONDS,
        id="planner",
        name="planner",
        next_run_time=datetime.now(UTC),
        **beat,
    )
    scheduler.add_job(
        # A live pass reads the clock itself as it goes: a pass given its start time would
        # treat it as a rehearsal, never waiting out a workspace-wide rate limit.
        _guarded("dispatcher", lambda _started: dispatcher.run()),
        "interval",
        seconds=DISPATCHER_EVERY_SECONDS,
        id="dispatcher",
        name="dispatcher",
        **beat,
    )
    profiles_clients = clients_for_jobs(settings, sessions)
    scheduler.add_job(
        _guarded(
            "profiles",
            lambda now: refresh_stale_profiles(
                sessions, profiles_clients, hours=dispatcher.hours, now=now
            ),
        ),
        "interval",
        seconds=PROFILES_EVERY_SECONDS,
        id="profiles",
        name="profile refresher",
        **beat,
    )
    scheduler.start()
    log.info(
        "scheduler started: planner every %ds, dispatcher every %ds",
        PLANNER_EVERY_SECONDS,
        DISPATCHER_EVERY_SECONDS,
    )
    return scheduler
