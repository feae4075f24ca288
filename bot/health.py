"""What /healthz reports: the database answers, and this process's scheduler still ticks.

A scheduler can stop without the process dying (its thread crashed, a pass hangs and every
later run is skipped); the platform then sees a healthy process that sends nothing. The
heartbeat counts finished jobs: the planner alone finishes one every minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy import Engine

from bot.store.db import database_is_reachable

# Three planner periods: one slow pass is no alarm, a scheduler that stopped is.
STALE_AFTER_SECONDS = 180.0


class SchedulerHeartbeat:
    def __init__(
        self,
        scheduler: Any,
        *,
        stale_after: float = STALE_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scheduler = scheduler
        self.stale_after = stale_after
        self.clock = clock
        self._lock = threading.Lock()
        self._last_beat = clock()  # starting counts: the first planner pass runs at once
        scheduler.add_listener(self._on_job_finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _on_job_finished(self, _event: JobExecutionEvent) -> None:
        with self._lock:
            self._last_beat = self.clock()

    def seconds_since_last_beat(self) -> float:
        with self._lock:
            return max(0.0, self.clock() - self._last_beat)

    def problem(self) -> str | None:
        """None while the scheduler ticks; otherwise what an operator should read."""
        if self.scheduler.state != STATE_RUNNING:
            return "scheduler is not running"
        age = self.seconds_since_last_beat()
        if age > self.stale_after:
            return f"scheduler stopped ticking: no job has finished for {age:.0f} s"
        return None


def health_problem(engine: Engine, heartbeat: SchedulerHeartbeat | None) -> str | None:
    if not database_is_reachable(engine):
        return "database unreachable"
    if heartbeat is not None:
        return heartbeat.problem()
    return None
