"""Bolt middleware that hands every request what its listeners need through `context`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.config import Settings
from bot.listeners.lookups import Lookups
from bot.store.db import SessionFactory


def provide_request_services(
    *,
    settings: Settings,
    session_factory: SessionFactory,
    read_session_factory: SessionFactory,
    lookups: Lookups,
) -> Callable[..., Any]:
    def middleware(context: BoltContext, next: Callable[[], Any]) -> Any:
        # Slack's 3 seconds for the ack run from about now (see listeners.runtime).
        context["received_at"] = time.monotonic()
        context["settings"] = settings
        # A factory, not a session: listeners run after ack() in another thread, so the
        # listener opens (and closes) its own session — see listeners.runtime.transactional.
        context["session_factory"] = session_factory
        context["read_session_factory"] = read_session_factory
        context["lookups"] = lookups
        return next()

    return middleware
