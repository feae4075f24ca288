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
# A reply "also sent to the channel" or with a file is a real answer. Every other subtype
# is not: edits, deletions, joins, bot posts.
ANSWER_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


def handle_message(request: SlackRequest) -> None:
    """A member's reply in a Rounds thread counts; Rounds reads who and when, never the text."""
    event = request.body.get("event", {})
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    if (event.get("subtype") or None) not in ANSWER_SUBTYPES or event.get("bot_id"):
        return
    if not thread_ts or thread_ts == ts:  # a top-level post is no reply
        return
    recorded = checkins.record_thread_reply(
        request.session,
        channel_id=str(event.get("channel", "")),
        thread_ts=str(thread_ts),
        author=str(event.get("user", "")),
        hours=request.hours,
        now=request.now,
        team_id=request.team_id,
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
