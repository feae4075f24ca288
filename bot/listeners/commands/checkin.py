"""/checkin — post an update, open the check-in form, or see status."""

from __future__ import annotations

from bot.listeners.commands.mentor import handle_help
from bot.listeners.runtime import SlackRequest


def handle_checkin(request: SlackRequest) -> None:
    handle_help(request)
