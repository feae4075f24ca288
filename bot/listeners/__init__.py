"""Slack surfaces, one module per surface; each has register(app)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import (
    actions,
    commands,
    direct_messages,
    endings,
    events,
    everyday,
    home,
    installs,
    program,
    views,
)


def register(app: App) -> None:
    commands.register(app)
    actions.register(app)
    endings.register(app)
    views.register(app)
    direct_messages.register(app)  # before events: both listen to `message`
    events.register(app)
    home.register(app)
    program.register(app)
    installs.register(app)
    everyday.register(app)
