"""GET /metrics in Prometheus' text format: what an operator pages on.

The program's gauges (deliveries by status, the oldest due delivery, failures, pairs by
state, pairs going cold) are read from the database at scrape time, so any number of web
processes and workers report the same values. The command latency histogram is per
process; under gunicorn set PROMETHEUS_MULTIPROC_DIR (bot.gunicorn_conf does) and every
worker's observations are added up.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client import make_wsgi_app as prometheus_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.health import SchedulerHeartbeat
from bot.store.metrics import ProgramNumbers, program_numbers
from bot.store.models import DeliveryStatus, PairState

log = logging.getLogger("rounds.metrics")

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Scrapes closer together than this share one set of queries: /metrics is no way to load
# the database, whoever calls it how often.
CACHE_SECONDS = 5.0
KNOWN_COMMANDS = frozenset({"/mentor", "/goal", "/checkin"})

COMMAND_SECONDS = Histogram(
    "rounds_command_ack_seconds",
    "Time from a slash command reaching Rounds to Slack getting its answer (Slack allows 3 s).",
    ["command"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=None,  # registered per registry below, so tests can build several
)


class _CommandLatency(Middleware):
    """Bolt middleware: Bolt returns from next() once the listener has acked. A Middleware,
    not a function: Bolt calls it without inspecting its arguments on every request."""

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],  # Bolt passes it by this name
    ) -> BoltResponse | None:
        command = req.body.get("command")
        if not command:
            return next()
        started = time.perf_counter()
        try:
            return next()
        finally:
            label = command if command in KNOWN_COMMANDS else "other"
            COMMAND_SECONDS.labels(command=label).observe(time.perf_counter() - started)


observe_command_latency = _CommandLatency()


class ProgramCollector(Collector):
    """Database-derived gauges, and the scheduler's heartbeat where this process runs one."""

    def __init__(
        self,
        engine: Engine,
        *,
        heartbeat: SchedulerHeartbeat | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.heartbeat = heartbeat
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, ProgramNumbers, datetime] | None = None

    def _numbers(self) -> tuple[ProgramNumbers, datetime]:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < CACHE_SECONDS:
                return self._cached[1], self._cached[2]
            now = self.clock()
            with Session(self.engine) as session:
                numbers = program_numbers(session, now=now)
            self._cached = (time.monotonic(), numbers, now)
            return numbers, now

    def collect(self) -> Iterable[Metric]:
        yield from self._scheduler_metrics()
        try:
            numbers, now = self._numbers()
        except Exception:
            log.exception("could not read the program's numbers for /metrics")
            yield GaugeMetricFamily(
                "rounds_database_up", "1 when the database answered this scrape.", value=0
            )
            return
        yield GaugeMetricFamily(
            "rounds_database_up", "1 when the database answered this scrape.", value=1
        )
        yield from _program_metrics(numbers, now)

    def _scheduler_metrics(self) -> Iterator[Metric]:
        if self.heartbeat is None:
            return
        yield GaugeMetricFamily(
            "rounds_scheduler_seconds_since_last_job",
            "Seconds since this process's scheduler last finished a job (the planner runs "
            "every minute).",
            value=self.heartbeat.seconds_since_last_beat(),
        )
        yield GaugeMetricFamily(
            "rounds_scheduler_up",
            "1 while this process's scheduler is running and ticking.",
            value=0 if self.heartbeat.problem() else 1,
        )


def _program_metrics(numbers: ProgramNumbers, now: datetime) -> Iterator[Metric]:
    deliveries = GaugeMetricFamily(
        "rounds_deliveries", "Nudge deliveries in the outbox, by status.", labels=["status"]
    )
    for status in DeliveryStatus:
        deliveries.add_metric([str(status)], numbers.deliveries_by_status.get(str(status), 0))
    yield deliveries
    oldest_age = (now - numbers.oldest_due_at).total_seconds() if numbers.oldest_due_at else 0.0
    yield GaugeMetricFamily(
        "rounds_oldest_due_delivery_age_seconds",
        "How long the oldest delivery that is due has waited to go out (0: none waiting).",
        value=max(0.0, oldest_age),
    )
    yield GaugeMetricFamily(
        "rounds_deliveries_failed_last_day",
        "Deliveries that failed for good in the last 24 hours (the pair was paused and "
        "coordinators told, or attempts ran out).",
        value=numbers.failed_last_day,
    )
    pairs = GaugeMetricFamily("rounds_pairs", "Mentorship pairs, by state.", labels=["state"])
    states = [str(state) for state in PairState]
    states += sorted(set(numbers.pairs_by_state) - set(states))
    for state in states:
        pairs.add_metric([state], numbers.pairs_by_state.get(state, 0))
    yield pairs
    yield GaugeMetricFamily(
        "rounds_pairs_going_cold",
        "Active or paused pairs that missed two prompts in a row.",
        value=numbers.going_cold,
    )


def make_registry(engine: Engine, *, heartbeat: SchedulerHeartbeat | None) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(COMMAND_SECONDS)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
    registry.register(ProgramCollector(engine, heartbeat=heartbeat))
    return registry


def make_metrics_app(engine: Engine, *, heartbeat: SchedulerHeartbeat | None) -> Any:
    return prometheus_wsgi_app(make_registry(engine, heartbeat=heartbeat))
