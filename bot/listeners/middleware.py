"""Bolt middleware that hands every request what its listeners need through `context`."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.config import Settings
from bot.listeners.lookups import Lookups
from bot.store.db import SessionFactory


class _RequestServices(Middleware):
    """A Middleware, not a function: Bolt calls it without inspecting its arguments."""

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: SessionFactory,
        read_session_factory: SessionFactory,
        lookups: Lookups,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.read_session_factory = read_session_factory
        self.lookups = lookups

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],  # Bolt passes it by this name
    ) -> BoltResponse | None:
        context = req.context
        # Slack's 3 seconds for the ack run from about now (see listeners.runtime).
        context["received_at"] = time.monotonic()
        context["settings"] = self.settings
        # A factory, not a session: listeners run after ack() in another thread, so the
        # listener opens (and closes) its own session — see listeners.runtime.transactional.
        context["session_factory"] = self.session_factory
        context["read_session_factory"] = self.read_session_factory
        context["lookups"] = self.lookups
        return next()


def provide_request_services(
    *,
    settings: Settings,
    session_factory: SessionFactory,
    read_session_factory: SessionFactory,
    lookups: Lookups,
) -> Middleware:
    return _RequestServices(
        settings=settings,
        session_factory=session_factory,
        read_session_factory=read_session_factory,
        lookups=lookups,
    )
