"""Slack surfaces, one module per surface; each has register(app)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, everyday, home, program, views


def register(app: App) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    home.register(app)
    program.register(app)
    everyday.register(app)
