"""Events API: messages in DMs and check-in spaces (thread replies)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.runtime import SlackRequest, transactional


def handle_message(request: SlackRequest) -> None:
    """Thread replies in check-in spaces are recorded here (issue 3)."""


EVENT_TYPES = frozenset({"message"})


def register(app: App) -> None:
    app.event("message")(transactional(handle_message))
