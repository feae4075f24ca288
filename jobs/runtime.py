"""Building the dispatcher from settings: its own Slack clients, which never sleep on a retry."""

from __future__ import annotations

import threading

from bot.config import Settings
from bot.domain.cadence import WorkingHours
from bot.oauth.setup import installed_workspaces
from bot.slack_out import SingleWorkspaceClients, SlackClient, WorkspaceClients, make_web_client
from bot.store.db import SessionFactory
from jobs.dispatcher import Dispatcher


def working_hours(settings: Settings) -> WorkingHours:
    return WorkingHours(start=settings.workday_start, end=settings.workday_end)


def clients_for_jobs(
    settings: Settings, sessions: SessionFactory, *, retries: int = 2
) -> WorkspaceClients:
    """SLACK_BOT_TOKEN's client for every workspace, or each workspace's own (OAuth mode)."""

    def make(token: str | None) -> SlackClient:
        return make_web_client(
            settings,
            rate_limit_retries=retries,
            server_error_retries=retries,
            connection_retries=retries,
            token=token,
        )

    if settings.oauth_mode:
        return installed_workspaces(settings, sessions, make_client=make)
    return SingleWorkspaceClients(make(None))


def make_dispatcher(
    settings: Settings, sessions: SessionFactory, *, stopping: threading.Event | None = None
) -> Dispatcher:
    # The dispatcher reschedules on 429 and 5xx itself, so other deliveries keep moving;
    # a client retrying inside the call would block them (and could post twice on a timeout).
    clients = clients_for_jobs(settings, sessions, retries=0)
    return Dispatcher(
        sessions,
        clients.client if isinstance(clients, SingleWorkspaceClients) else clients,
        hours=working_hours(settings),
        coordinators=settings.coordinators,
        holidays=settings.holidays,
        stopping=stopping,
    )
