"""Slash commands: /mentor, /goal, /checkin."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.commands import checkin, goal, mentor
from bot.listeners.runtime import transactional

COMMANDS = {
    "/mentor": mentor.handle_mentor,
    "/goal": goal.handle_goal,
    "/checkin": checkin.handle_checkin,
}


def register(app: App) -> None:
    for name, handler in COMMANDS.items():
        app.command(name)(transactional(handler))
