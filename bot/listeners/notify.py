"""Messages to people other than the one who asked — best effort, after the answer."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.blocks.common import Block
from bot.listeners.request import SlackRequest

log = logging.getLogger("rounds.notify")


def tell(request: SlackRequest, channel: str, text: str, blocks: list[Block] | None = None) -> bool:
    """Post to a user's DM with the bot (a user ID as channel) or to a conversation.
    A failure is logged, not raised: the asker's own request already succeeded."""
    try:
        request.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        return True
    except SlackApiError as error:
        log.warning("could not tell %s: %s", channel, error.response.get("error"))
        return False
