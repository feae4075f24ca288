"""gunicorn for several web processes: `gunicorn -c python:bot.gunicorn_conf bot.wsgi:app`.

The Procfile's web process and the container's default command. WEB_CONCURRENCY worker
processes (default 2) of 8 threads each, on $PORT (both also read from ./.env). Put it
behind a proxy or platform router that buffers requests: a gunicorn worker gives a thread
to each connection it reads from, so clients that stall mid-request can occupy it
(`python -m bot` uses waitress, which does not have that weakness).

- The master checks the settings (exit 2 with the usual paragraph, before any worker
  starts) and migrates the database once.
- SIGTERM: workers stop accepting and get `graceful_timeout` for requests in flight.
- The access log shows paths without query strings (OAuth redirects carry codes there),
  through Rounds' logging: LOG_LEVEL, LOG_FORMAT=json.
- /metrics adds up every worker's command latencies (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from typing import Any

from gunicorn.glogging import Logger

# Before anything imports prometheus_client: it picks its storage at import time.
_metrics_dir_is_ours = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _metrics_dir_is_ours:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="rounds-metrics-")

from bot.config import ConfigError, load_environment_file, load_settings  # noqa: E402
from bot.logs import configure_logging, report_config_error  # noqa: E402

load_environment_file()  # PORT and WEB_CONCURRENCY may come from ./.env too

DEFAULT_WORKERS = 2

bind = f"0.0.0.0:{os.environ.get('PORT', '').strip() or '3000'}"
workers = int(os.environ.get("WEB_CONCURRENCY", "").strip() or DEFAULT_WORKERS)
worker_class = "gthread"
threads = 8
# A worker whose main loop is stuck this long is replaced (gthread answers from a pool).
timeout = 30
# SIGTERM: requests in flight get this long; platforms kill after 10 s.
graceful_timeout = 8
keepalive = 5
# Slack's requests are small; anything larger is not from Slack.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
accesslog = "-"
# %(U)s is the path without its query string.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
control_socket_disable = True  # gunicorn 27+: no control socket in $HOME


class RoundsLogger(Logger):  # type: ignore[misc]
    """gunicorn's own lines and its access log go through Rounds' logging."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        configure_logging()
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True
        self.access_log.setLevel(logging.INFO)


logger_class = RoundsLogger


def on_starting(server: Any) -> None:
    """In the master, before any worker: settings, then the schema, once."""
    try:
        settings = load_settings(http_only=True)
    except ConfigError as problem:
        report_config_error(problem)
        sys.exit(2)
    from bot.service import open_database

    open_database(settings.database_url).engine.dispose()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    if _metrics_dir_is_ours:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
