"""A pair's check-in space: the group DM of mentee, mentor and the bot."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.blocks import pairs as pair_blocks
from bot.domain.hours import clash_not_told
from bot.listeners.hours_notice import hours_clash_notice
from bot.listeners.notify import tell
from bot.listeners.request import SlackRequest
from bot.listeners.zones import rhythm
from bot.slack_out import ensure_checkin_space
from bot.store.models import Pair

log = logging.getLogger("rounds.spaces")


def open_with_welcome(request: SlackRequest, pair: Pair) -> str | None:
    """Open (once) and greet. Without a space the pair still works; nudges retry opening it."""
    try:
        channel = ensure_checkin_space(request.client, pair)
    except SlackApiError as error:
        log.warning(
            "could not open the check-in space of pair %s: %s", pair.id, error.response.get("error")
        )
        return None
    request.session.commit()
    text, blocks = pair_blocks.welcome(
        mentee=pair.mentee.slack_user_id,
        mentor=pair.mentor.slack_user_id,
        cadence=rhythm(pair, viewer=None, now=request.now),
    )
    notice = hours_clash_notice(pair, default=request.hours, now=request.now)
    if not tell(request, channel, text, blocks + notice):
        clash_not_told(pair)
    request.session.commit()
    return channel


def space_of(request: SlackRequest, pair: Pair) -> str:
    """The space for posting now; opens it if an earlier attempt failed. Raises SlackApiError."""
    channel = ensure_checkin_space(request.client, pair)
    request.session.commit()
    return channel
