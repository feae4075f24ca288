"""The HTTP face of Rounds: Slack's requests at /slack/events, and /healthz for the platform."""

from __future__ import annotations

import logging
import socketserver
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.store.db import database_is_reachable

log = logging.getLogger("rounds.web")

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def make_wsgi_app(bolt_app: App, engine: Engine) -> WsgiApp:
    slack = SlackRequestHandler(bolt_app, path=SLACK_PATH)
    # OAuth mode: "Add to Slack" and Slack's redirect back, both served by Bolt's OAuth flow.
    flow = bolt_app.oauth_flow
    oauth_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_PATH:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "POST only\n")
            return slack(environ, start_response)
        if path in oauth_paths:
            if method != "GET":
                return _plain(start_response, "405 Method Not Allowed", "GET only\n")
            return slack(environ, start_response)
        if path == HEALTH_PATH and method in {"GET", "HEAD"}:
            if database_is_reachable(engine):
                return _plain(start_response, "200 OK", "ok\n")
            return _plain(start_response, "503 Service Unavailable", "database unreachable\n")
        return _plain(start_response, "404 Not Found", "not found\n")

    return application


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def make_http_server(app: WsgiApp, *, host: str = "0.0.0.0", port: int) -> WSGIServer:
    """A threaded server for `python -m bot`; gunicorn serves bot.wsgi:app in production."""
    return make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
