"""Bolt middleware that hands every request what its listeners need through `context`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.config import Settings
from bot.listeners.lookups import Lookups
from bot.store import installations as workspace_queries
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


def remember_org_workspaces(session_factory: SessionFactory) -> Callable[..., Any]:
    """OAuth mode: a request from a workspace reached through an Enterprise Grid org-wide
    install tells which org the workspace belongs to, so the worker finds the org's token
    for it. Written once per workspace and process."""
    known: set[tuple[str, str]] = set()

    def middleware(context: BoltContext, next: Callable[[], Any]) -> Any:
        team_id, enterprise_id = context.team_id, context.enterprise_id
        org_wide = bool(team_id and enterprise_id and context.is_enterprise_install)
        if org_wide and (team_id, enterprise_id) not in known:
            assert team_id and enterprise_id
            with session_factory.begin() as session:
                workspace_queries.note_enterprise(
                    session, team_id=team_id, enterprise_id=enterprise_id
                )
            known.add((team_id, enterprise_id))
        return next()

    return middleware
