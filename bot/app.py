"""build_app(): the Bolt app, its middleware and its listeners — nothing else."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App

from bot import listeners
from bot.config import Settings
from bot.listeners.lookups import Lookups
from bot.listeners.middleware import provide_request_services, remember_org_workspaces
from bot.listeners.runtime import report_unhandled_error
from bot.log_privacy import keep_bodies_out_of_logs
from bot.metrics import observe_command_latency
from bot.oauth.setup import bolt_oauth
from bot.slack_out import make_web_client
from bot.store.db import SessionFactory


def make_listener_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="listener")


def build_app(
    settings: Settings,
    session_factory: SessionFactory,
    *,
    read_sessions: SessionFactory | None = None,
    listener_executor: ThreadPoolExecutor | None = None,
) -> App:
    """`listener_executor`: pass one to wait for listeners' work when the process stops."""
    keep_bodies_out_of_logs()
    # OAuth mode: many workspaces, each request authorized with its workspace's own token.
    oauth = (
        bolt_oauth(settings, session_factory, read_sessions=read_sessions).app_options
        if settings.oauth_mode
        else {}
    )
    app = App(
        client=make_web_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        # Every HTTP request is verified, whatever else is set: an app token only means Socket
        # Mode is possible, not that this request came through it. Bolt itself skips the
        # check for Socket Mode frames, which the app-level token authenticates.
        request_verification_enabled=True,
        # Listeners run after ack() in this pool, so Slack gets its answer within 3 seconds.
        listener_executor=listener_executor or make_listener_executor(),
        logger=logging.getLogger("rounds.bolt"),
        # Events from our own bot user (our posts in check-in spaces) are never user input.
        ignoring_self_events_enabled=True,
        **oauth,
    )
    app.use(
        provide_request_services(
            settings=settings,
            session_factory=session_factory,
            read_session_factory=read_sessions or session_factory,
            # users.info before the ack: in parallel, one short try each (listeners.people).
            lookups=Lookups(),
        )
    )
    if settings.oauth_mode:
        app.use(remember_org_workspaces(session_factory))
    app.use(observe_command_latency)
    app.error(report_unhandled_error)
    listeners.register(app)
    return app
