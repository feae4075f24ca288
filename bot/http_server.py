"""The HTTP server of `python -m bot` (both modes) and of the worker: waitress, one process.

Why waitress, not gunicorn run from code (numbers in docs/OPERATIONS.md, from
`python -m bench.http_servers`): one process with eight threads answers about as fast as one
gunicorn gthread worker (same medians, a somewhat higher p99 when saturated), and
`python -m bot` is one process anyway (its scheduler lives beside the web threads). But
waitress reads whole requests in its event loop before a thread sees them, so clients that
send half a request and stall cost a socket, not a thread: with 16 such clients every
request to one gunicorn worker timed out, while waitress answered as usual. gunicorn
(`bot.gunicorn_conf`) stays the choice for several web processes behind a proxy that
buffers requests.

Bounds: eight request threads, at most 100 open connections (more wait in the listen queue),
idle connections closed after 30 s, request bodies of at most 1 MiB (Slack sends a few KiB).

Stopping: no new connections, requests already received are answered and flushed, then
every connection is closed — all within the time the caller gives.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from bot.web import WsgiApp

log = logging.getLogger("rounds.http")

THREADS = 8
CONNECTION_LIMIT = 100
IDLE_TIMEOUT_SECONDS = 30
MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
_LOOP_TIMEOUT_SECONDS = 0.2


class HttpServer:
    def __init__(self, app: WsgiApp, *, host: str = "0.0.0.0", port: int) -> None:
        self._map: dict[int, Any] = {}
        self._server: Any = create_server(
            app,
            map=self._map,
            host=host,
            port=port,
            threads=THREADS,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=IDLE_TIMEOUT_SECONDS,
            cleanup_interval=IDLE_TIMEOUT_SECONDS,
            max_request_body_size=MAX_BODY_BYTES,
            max_request_header_size=MAX_HEADER_BYTES,
            asyncore_use_poll=True,  # select() cannot watch file descriptors above 1023
            ident="rounds",
            expose_tracebacks=False,
        )
        self.port: int = int(self._server.effective_port)
        self._stopping = threading.Event()
        self._drain_deadline = 0.0
        self._drained = True
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def stop(self, timeout: float) -> bool:
        """Stop accepting, answer what was received, close. True when all of it fit in
        `timeout`; otherwise the remaining connections are dropped."""
        self._drain_deadline = time.monotonic() + max(0.0, timeout - 0.5)
        self._stopping.set()
        # Wake the loop now, not at its next timeout; it may have seen the flag and closed
        # the trigger already.
        with contextlib.suppress(OSError):
            self._server.trigger.pull_trigger()
        self._thread.join(max(0.0, timeout))
        return not self._thread.is_alive() and self._drained

    def _busy(self) -> bool:
        dispatcher = self._server.task_dispatcher
        if dispatcher.active_count or dispatcher.queue:
            return True
        return any(
            channel.requests or channel.total_outbufs_len
            for channel in list(self._server.active_channels.values())
        )

    def _serve(self) -> None:
        loop = wasyncore.loop
        while not self._stopping.is_set():
            loop(timeout=_LOOP_TIMEOUT_SECONDS, map=self._map, use_poll=True, count=1)
        # No new connections from here on; requests already read are still answered.
        wasyncore.dispatcher.close(self._server)
        while self._busy() and time.monotonic() < self._drain_deadline:
            loop(timeout=0.05, map=self._map, use_poll=True, count=1)
        self._drained = not self._busy()
        if not self._drained:
            log.warning("HTTP requests still unanswered at the stop deadline; dropping them")
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=0.5)
        wasyncore.close_all(self._map)
