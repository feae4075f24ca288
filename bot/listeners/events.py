"""Events API: replies in the threads of check-in posts and nudges."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.domain import checkins
from bot.listeners.home import refresh_homes
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional

log = logging.getLogger("rounds.events")

EVENT_TYPES = frozenset({"message"})
# Reads as "noted", not "approved": a ✅ under "can we move it to Tuesday?" reads as yes.
RECORDED_REACTION = "memo"


def handle_message(request: SlackRequest) -> None:
    """A member's reply in a Rounds thread counts; Rounds reads who and when, never the text."""
    event = request.body.get("event", {})
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    # Edits, deletions, joins and bot posts carry a subtype; top-level posts are no replies.
    if event.get("subtype") or event.get("bot_id") or not thread_ts or thread_ts == ts:
        return
    recorded = checkins.record_thread_reply(
        request.session,
        channel_id=str(event.get("channel", "")),
        thread_ts=str(thread_ts),
        author=str(event.get("user", "")),
        hours=request.hours,
        now=request.now,
    )
    if recorded is None:
        return
    request.session.commit()
    try:
        request.client.reactions_add(channel=event["channel"], timestamp=ts, name=RECORDED_REACTION)
    except SlackApiError as error:
        if error.response.get("error") != "already_reacted":
            log.warning("could not acknowledge a reply: %s", error.response.get("error"))
    if recorded.completed_now:
        refresh_homes(request, [recorded.pair.mentee, recorded.pair.mentor])


def register(app: App) -> None:
    app.event("message")(transactional(handle_message))
