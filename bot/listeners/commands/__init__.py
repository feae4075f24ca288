"""Slash commands: /mentor, /goal, /checkin."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.listeners.commands import checkin, goal, mentor
from bot.listeners.runtime import transactional

COMMANDS = {
    "/mentor": mentor.handle_mentor,
    "/goal": goal.handle_goal,
    "/checkin": checkin.handle_checkin,
}

# What a command does when its text is exactly one of these: look, never change.
READ_ONLY_TEXTS = {
    "/mentor": {"", "help", "list", "record"},
    "/goal": {"", "help", "list"},
    "/checkin": {"help", "status"},
}


def reads_only(body: dict[str, Any]) -> bool:
    text = " ".join(str(body.get("text") or "").lower().split())
    return text in READ_ONLY_TEXTS.get(str(body.get("command")), set())


def register(app: App) -> None:
    for name, handler in COMMANDS.items():
        app.command(name)(transactional(handler, reads_only=reads_only))
