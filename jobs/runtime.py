"""Building the dispatcher from settings: its own Slack client, which never sleeps on a retry."""

from __future__ import annotations

import threading

from bot.config import Settings
from bot.domain.cadence import WorkingHours
from bot.slack_out import make_web_client
from bot.store.db import SessionFactory
from jobs.dispatcher import Dispatcher


def working_hours(settings: Settings) -> WorkingHours:
    return WorkingHours(start=settings.workday_start, end=settings.workday_end)


def make_dispatcher(
    settings: Settings, sessions: SessionFactory, *, stopping: threading.Event | None = None
) -> Dispatcher:
    # The dispatcher reschedules on 429 and 5xx itself, so other deliveries keep moving;
    # a client retrying inside the call would block them (and could post twice on a timeout).
    client = make_web_client(
        settings, rate_limit_retries=0, server_error_retries=0, connection_retries=0
    )
    return Dispatcher(
        sessions,
        client,
        hours=working_hours(settings),
        coordinators=settings.coordinators,
        holidays=settings.holidays,
        stopping=stopping,
    )
