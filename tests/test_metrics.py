"""GET /metrics and /healthz: what an operator pages on, read from the database."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot.config import Settings
from bot.health import SchedulerHeartbeat
from bot.http_server import HttpServer
from bot.service import Database
from bot.store.models import Delivery, DeliveryKind, DeliveryStatus, Pair, PairState
from bot.web import make_wsgi_app
from jobs.scheduler import start_scheduler
from tests.factories import make_pair
from tests.slack_requests import SlackSender, get

NOW = datetime.now(UTC)


def scrape(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = get(f"{base_url}/metrics")
    assert reply.status == 200
    samples = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


_users = itertools.count(1)


def _pair(database: Database, *, state: PairState = PairState.ACTIVE, cold: bool = False) -> int:
    pair_id = make_pair(database, mentee=f"U0E{next(_users)}", mentor=f"U0R{next(_users)}")
    with database.sessions.begin() as session:
        session.execute(update(Pair).where(Pair.id == pair_id).values(state=state, going_cold=cold))
    return pair_id


def _delivery(
    database: Database,
    pair_id: int,
    status: DeliveryStatus,
    *,
    due_at: datetime,
    finished_at: datetime | None = None,
) -> None:
    with database.sessions.begin() as session:
        session.add(
            Delivery(
                pair_id=pair_id,
                kind=DeliveryKind.PROMPT,
                period=f"p{next(_users)}",
                status=status,
                due_at=due_at,
                created_at=due_at,
                finished_at=finished_at,
            )
        )


def test_metrics_report_the_program_from_the_database(database: Database, http_url: str) -> None:
    active = _pair(database)
    _pair(database, cold=True)
    _pair(database, state=PairState.PAUSED, cold=True)
    _pair(database, state=PairState.ENDED, cold=True)  # ended pairs are not "going cold"
    _delivery(database, active, DeliveryStatus.SCHEDULED, due_at=NOW - timedelta(minutes=10))
    _delivery(database, active, DeliveryStatus.SCHEDULED, due_at=NOW + timedelta(days=1))
    _delivery(database, active, DeliveryStatus.SENT, due_at=NOW - timedelta(days=3))
    _delivery(database, active, DeliveryStatus.FAILED, due_at=NOW, finished_at=NOW)
    _delivery(
        database,
        active,
        DeliveryStatus.FAILED,
        due_at=NOW - timedelta(days=9),
        finished_at=NOW - timedelta(days=9),
    )

    samples = scrape(http_url)

    assert value(samples, "rounds_deliveries", status="scheduled") == 2
    assert value(samples, "rounds_deliveries", status="sent") == 1
    assert value(samples, "rounds_deliveries", status="failed") == 2
    assert value(samples, "rounds_deliveries", status="sending") == 0
    assert value(samples, "rounds_deliveries_failed_last_day") == 1
    # Ten minutes overdue, measured against the scrape's own clock.
    assert 9 * 60 < value(samples, "rounds_oldest_due_delivery_age_seconds") < 60 * 60
    assert value(samples, "rounds_pairs", state="active") == 2
    assert value(samples, "rounds_pairs", state="paused") == 1
    assert value(samples, "rounds_pairs", state="ended") == 1
    assert value(samples, "rounds_pairs", state="pending") == 0
    assert value(samples, "rounds_pairs_going_cold") == 2
    assert value(samples, "rounds_database_up") == 1


def test_nothing_due_reads_as_zero_age(http_url: str) -> None:
    assert value(scrape(http_url), "rounds_oldest_due_delivery_age_seconds") == 0


def test_command_latency_is_a_histogram_by_command(slack: SlackSender, http_url: str) -> None:
    def count(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
        return samples.get(("rounds_command_ack_seconds_count", (("command", "/goal"),)), 0.0)

    before = count(scrape(http_url))
    reply, _ = slack.command("/goal", "list", user="U0METRICS")
    assert reply.status == 200
    after = scrape(http_url)
    assert count(after) == before + 1
    bucket = ("rounds_command_ack_seconds_bucket", (("command", "/goal"), ("le", "3.0")))
    assert after[bucket] >= 1


@pytest.fixture
def scheduler_url(
    settings: Settings, database: Database
) -> Iterator[tuple[str, object, list[float]]]:
    """A real scheduler, as the worker runs it, watched through a clock the test moves."""
    clock = [time.monotonic()]
    scheduler = start_scheduler(settings, database.sessions)
    heartbeat = SchedulerHeartbeat(scheduler, clock=lambda: clock[0])
    server = HttpServer(
        make_wsgi_app(None, database.engine, heartbeat=heartbeat), host="127.0.0.1", port=0
    ).start()
    yield f"http://127.0.0.1:{server.port}", scheduler, clock
    server.stop(timeout=5)
    if scheduler.running:
        scheduler.shutdown(wait=False)


def _stall(scheduler: object) -> None:
    """The scheduler runs, but no job comes round any more."""
    for job in scheduler.get_jobs():  # type: ignore[attr-defined]
        job.pause()
    _wait_until_no_job_runs(scheduler)


def _wait_until_no_job_runs(scheduler: object) -> None:
    """A pass already under way still finishes (and beats) after its job is paused."""
    running = scheduler._executors["default"]._instances  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while any(running.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running.values())


def test_a_scheduler_that_stopped_ticking_shows_on_healthz(
    scheduler_url: tuple[str, object, list[float]],
) -> None:
    url, scheduler, clock = scheduler_url
    assert get(f"{url}/healthz").status == 200
    _stall(scheduler)
    clock[0] += 10 * 60
    reply = get(f"{url}/healthz")
    assert reply.status == 503
    assert "scheduler stopped ticking" in reply.text
    samples = scrape(url)
    assert value(samples, "rounds_scheduler_up") == 0
    assert value(samples, "rounds_scheduler_seconds_since_last_job") > 9 * 60


def test_a_scheduler_that_ticks_again_is_healthy_again(
    scheduler_url: tuple[str, object, list[float]],
) -> None:
    url, scheduler, clock = scheduler_url
    _stall(scheduler)
    clock[0] += 10 * 60
    assert get(f"{url}/healthz").status == 503
    scheduler.get_job("planner").modify(next_run_time=datetime.now(UTC))  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while get(f"{url}/healthz").status != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get(f"{url}/healthz").status == 200


def test_a_scheduler_that_was_shut_down_shows_on_healthz(
    scheduler_url: tuple[str, object, list[float]],
) -> None:
    url, scheduler, _clock = scheduler_url
    scheduler.shutdown(wait=False)  # type: ignore[attr-defined]
    reply = get(f"{url}/healthz")
    assert reply.status == 503
    assert "scheduler is not running" in reply.text


def test_operator_paths_only_without_slack(scheduler_url: tuple[str, object, list[float]]) -> None:
    """Socket Mode and the worker serve /healthz and /metrics, and nothing for Slack."""
    url, _scheduler, _clock = scheduler_url
    assert get(f"{url}/slack/events").status == 404
    assert get(f"{url}/metrics").status == 200


def test_healthz_says_when_the_database_is_unreachable(settings: Settings) -> None:
    from bot.store.db import make_engine

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    server = HttpServer(make_wsgi_app(None, engine), host="127.0.0.1", port=0).start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        reply = get(f"{url}/healthz")
        assert (reply.status, reply.text) == (503, "database unreachable\n")
        assert value(scrape(url), "rounds_database_up") == 0
    finally:
        server.stop(timeout=5)
        engine.dispose()
