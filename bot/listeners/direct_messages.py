"""Messages people send Rounds in its Messages tab: answered with what Rounds can do.

Rounds works through slash commands and buttons, so a message to the bot gets the help
rather than silence. The text is never read, stored or logged.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.blocks.common import section
from bot.blocks.help import help_blocks, help_text
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional

INTRO = (
    "Hi! I don't read messages here: I work through slash commands and buttons. "
    "Here is everything I can do."
)


def is_message_to_rounds(body: dict[str, Any]) -> bool:
    """A person's own top-level message in their DM with Rounds (not an edit, a join, a bot's
    post or a thread reply, which other listeners read)."""
    event = body.get("event") or {}
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and not event.get("thread_ts")
        and bool(event.get("user"))
    )


def handle_direct_message(request: SlackRequest) -> None:
    channel = str(request.body["event"]["channel"])
    request.client.chat_postMessage(
        channel=channel,
        text=f"{INTRO}\n{help_text()}",
        blocks=[section(INTRO), *help_blocks()],
    )


def register(app: App) -> None:
    # Registered before the thread-reply listener: Bolt runs the first listener that matches.
    app.event("message", matchers=[is_message_to_rounds])(transactional(handle_direct_message))
