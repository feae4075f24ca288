"""Events API: Rounds uninstalled from a workspace (or an org), or its tokens revoked.

Nudges to that workspace stop at once and its tokens are deleted; its data waits 30 days
(bot.domain.workspaces), then the planner deletes it. Nobody is told anything.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.domain import workspaces
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional

log = logging.getLogger("rounds.installs")

EVENT_TYPES = frozenset({"app_uninstalled", "tokens_revoked"})


def _where(request: SlackRequest) -> dict[str, Any]:
    """The workspace or org the event is about, from its envelope."""
    body = request.body
    authorization = (body.get("authorizations") or [{}])[0]
    org_wide = bool(body.get("is_enterprise_install") or authorization.get("is_enterprise_install"))
    team_id = body.get("team_id") or authorization.get("team_id")
    enterprise_id = body.get("enterprise_id") or authorization.get("enterprise_id")
    return {
        "team_id": str(team_id) if team_id else None,
        "enterprise_id": str(enterprise_id) if enterprise_id else None,
        "org_wide": org_wide,
    }


def handle_app_uninstalled(request: SlackRequest) -> None:
    where = _where(request)
    gone = workspaces.uninstalled(request.session, now=request.now, **where)
    log.info(
        "Rounds was uninstalled from %s; nudges stopped in %d workspace(s)",
        where["team_id"] or where["enterprise_id"],
        len(gone),
    )


def handle_tokens_revoked(request: SlackRequest) -> None:
    tokens = request.body.get("event", {}).get("tokens") or {}
    where = _where(request)
    if tokens.get("bot"):
        # Without its bot token Rounds cannot act there at all: as good as uninstalled.
        gone = workspaces.uninstalled(request.session, now=request.now, **where)
        log.info(
            "the bot token of %s was revoked; nudges stopped in %d workspace(s)",
            where["team_id"] or where["enterprise_id"],
            len(gone),
        )
    users = [str(user) for user in tokens.get("oauth") or []]
    if users:
        workspaces.user_tokens_revoked(request.session, user_ids=users, **where)


def register(app: App) -> None:
    app.event("app_uninstalled")(transactional(handle_app_uninstalled))
    app.event("tokens_revoked")(transactional(handle_tokens_revoked))
