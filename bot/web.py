"""The HTTP face of Rounds: Slack's requests at /slack/events, /healthz and /metrics.

Every process kind serves it on $PORT: with Slack's route in HTTP mode (`python -m bot`,
`bot.wsgi:app`), without it in Socket Mode and in the worker, where only the operator's two
paths answer. Bolt verifies every request to /slack/events; this module never bypasses it.
"""

from __future__ import annotations

import io
import logging
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.health import SchedulerHeartbeat, health_problem
from bot.listeners import turns
from bot.listeners.commands import reads_only
from bot.metrics import make_metrics_app

log = logging.getLogger("rounds.web")

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# A slash command's form is a few hundred bytes; a larger body is left to Bolt unread.
MAX_FORM_BYTES = 16 * 1024

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _answered_within_request(environ: dict[str, Any]) -> bool:
    """A read-only slash command (listeners.commands.reads_only). Reads the body once and
    puts it back for Bolt, which verifies its signature as always."""
    if not str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
        return False
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    if not 0 < length <= MAX_FORM_BYTES:
        return False
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    form = _fields(body.decode("utf-8", "replace"), ("command", "text"))
    return "command" in form and reads_only(form)


def _fields(form: str, names: tuple[str, ...]) -> dict[str, str]:
    """Only the form fields named: Bolt parses the whole form again anyway."""
    found = {}
    for field in form.split("&"):
        name, _, value = field.partition("=")
        if name in names:
            found[name] = urllib.parse.unquote_plus(value)
    return found


def make_wsgi_app(
    bolt_app: App | None, engine: Engine, *, heartbeat: SchedulerHeartbeat | None = None
) -> WsgiApp:
    """`bolt_app` None: the operator's paths only (Socket Mode, the worker)."""
    slack = SlackRequestHandler(bolt_app, path=SLACK_PATH) if bolt_app is not None else None
    metrics = make_metrics_app(engine, heartbeat=heartbeat)
    turns.answer_at_once(1 if engine.dialect.name == "sqlite" else 2)
    # OAuth mode: "Add to Slack" and Slack's redirect back, both served by Bolt's OAuth flow.
    flow = bolt_app.oauth_flow if bolt_app is not None else None
    oauth_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_PATH and slack is not None:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "POST only\n")
            if not _answered_within_request(environ):
                return slack(environ, start_response)
            # Bolt's whole dispatch takes its turn (listeners/turns.py); the answer is done
            # when slack() returns (Bolt's adapter returns the body, not a generator).
            with turns.IN_REQUEST:
                return slack(environ, start_response)
        if path in oauth_paths and slack is not None:
            if method != "GET":
                return _plain(start_response, "405 Method Not Allowed", "GET only\n")
            return slack(environ, start_response)
        if path == HEALTH_PATH and method in {"GET", "HEAD"}:
            problem = health_problem(engine, heartbeat)
            if problem is None:
                return _plain(start_response, "200 OK", "ok\n")
            log.warning("health check failed: %s", problem)
            return _plain(start_response, "503 Service Unavailable", problem + "\n")
        if path == METRICS_PATH and method in {"GET", "HEAD"}:
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        return _plain(start_response, "404 Not Found", "not found\n")

    return application
