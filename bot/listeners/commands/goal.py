"""/goal — a mentee's goals: add, list, done, drop."""

from __future__ import annotations

from bot.listeners.commands.mentor import handle_help
from bot.listeners.runtime import SlackRequest


def handle_goal(request: SlackRequest) -> None:
    handle_help(request)
