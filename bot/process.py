"""What each kind of long-running Rounds process runs, and how it stops on SIGTERM.

- `python -m bot`, HTTP mode: Slack's requests, /healthz and /metrics on $PORT (waitress),
  and the scheduler unless ROUNDS_SCHEDULER=off.
- `python -m bot`, Socket Mode: the Socket Mode connection, /healthz and /metrics on $PORT,
  and the scheduler unless ROUNDS_SCHEDULER=off.
- `python -m jobs` (the worker): the scheduler, /healthz and /metrics on $PORT.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.config import ConfigError, Settings
from bot.health import SchedulerHeartbeat
from bot.http_server import HttpServer
from bot.lifecycle import Deadline, Lifecycle, bounded
from bot.logs import report_config_error
from bot.service import CONFIG_ERROR_EXIT_STATUS, Database, build_service, open_database
from bot.slack_out import make_web_client
from bot.web import SLACK_PATH, WsgiApp, make_wsgi_app
from jobs.scheduler import start_scheduler

log = logging.getLogger("rounds")

StopStep = Callable[[float], None]


def listen(app: WsgiApp, port: int) -> HttpServer:
    try:
        server = HttpServer(app, port=port).start()
    except OSError as error:
        report_config_error(
            ConfigError(
                f"Rounds cannot start: it cannot listen on PORT {port} ({error.strerror}). "
                "Another process may be using it; give each Rounds process its own PORT."
            )
        )
        raise SystemExit(CONFIG_ERROR_EXIT_STATUS) from None
    return server


def start_timer(settings: Settings, database: Database, lifecycle: Lifecycle) -> SchedulerHeartbeat:
    scheduler = start_scheduler(settings, database.sessions, stopping=lifecycle.stop_requested)
    heartbeat = SchedulerHeartbeat(scheduler)

    def stop(left: float) -> None:
        # The dispatcher claims nothing more (stop_requested is its flag); the pass in flight
        # finishes its posts, and shutdown(wait=True) returns when it has.
        if not bounded(lambda: scheduler.shutdown(wait=True), left):
            log.warning(
                "a scheduler pass was still running at the deadline; its claims stay leased"
            )

    lifecycle.on_stop("scheduler", stop)
    return heartbeat


def _drain(listeners: ThreadPoolExecutor | None, left: float) -> None:
    """Listeners that already answered Slack finish their work (posts, Home tab updates)."""
    if listeners is not None and not bounded(lambda: listeners.shutdown(wait=True), left):
        log.warning("listeners were still working at the stop deadline")


def _stop_http(server: HttpServer, listeners: ThreadPoolExecutor | None) -> StopStep:
    def stop(left: float) -> None:
        deadline = Deadline(left)
        server.stop(left)
        _drain(listeners, deadline.left())

    return stop


def run_bot(settings: Settings, lifecycle: Lifecycle) -> NoReturn:
    """`python -m bot`: serve until SIGTERM, then stop within the budget and exit 0."""
    service = build_service(settings)
    engine = service.database.engine
    heartbeat = (
        start_timer(settings, service.database, lifecycle) if settings.scheduler_enabled else None
    )
    if settings.slack_app_token:
        handler = SocketModeHandler(
            service.app, settings.slack_app_token, web_client=make_web_client(settings)
        )
        handler.connect()  # type: ignore[no-untyped-call]
        log.info("Rounds is connected to Slack in Socket Mode")
        server = listen(make_wsgi_app(None, engine, heartbeat=heartbeat), settings.port)
        log.info("/healthz and /metrics on http://0.0.0.0:%d", server.port)

        def stop_socket_mode(left: float) -> None:
            deadline = Deadline(left)
            # Acks go out as soon as a listener calls ack(); the work goes on in our pool.
            if not bounded(handler.close, deadline.left()):
                log.warning("the Socket Mode connection did not close in time")
            server.stop(min(1.0, deadline.left()))
            _drain(service.listeners, deadline.left())

        lifecycle.on_stop("Socket Mode", stop_socket_mode)
    else:
        server = listen(make_wsgi_app(service.app, engine, heartbeat=heartbeat), settings.port)
        log.info("Rounds is listening on http://0.0.0.0:%d%s", server.port, SLACK_PATH)
        lifecycle.on_stop("HTTP", _stop_http(server, service.listeners))
    lifecycle.wait()
    lifecycle.stop()


def run_worker(settings: Settings, lifecycle: Lifecycle) -> NoReturn:
    """`python -m jobs`: the scheduler, and the operator's paths on $PORT."""
    database = open_database(settings.database_url)
    heartbeat = start_timer(settings, database, lifecycle)
    server = listen(make_wsgi_app(None, database.engine, heartbeat=heartbeat), settings.port)
    log.info("worker running; /healthz and /metrics on http://0.0.0.0:%d", server.port)
    lifecycle.on_stop("HTTP", _stop_http(server, None))
    lifecycle.wait()
    lifecycle.stop()
