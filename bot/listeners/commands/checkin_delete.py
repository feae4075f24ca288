"""`/checkin delete`: the author takes back their newest check-in post while it is unanswered."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError

from bot.domain import retract
from bot.domain.errors import UserError
from bot.listeners.people import actor
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.zones import moment_for


def handle_delete(request: SlackRequest, _text: str = "") -> None:
    from bot.listeners.commands.goal import mentee_pairs

    me = actor(request)
    candidates = mentee_pairs(request, me)
    if not candidates:
        raise UserError(
            "Only a check-in's author can delete it, and you have posted none as a mentee.",
            example="/checkin status",
        )
    post = retract.unanswered_post(request.session, pairs=candidates)
    pair = post.checkin.pair
    posted = datetime.fromtimestamp(float(post.ts), UTC)
    try:
        request.client.chat_delete(channel=post.channel_id, ts=post.ts)
    except SlackApiError as error:
        if error.response.get("error") != "message_not_found":
            raise  # nothing forgotten: the post is still there
    retract.forget(request.session, post)
    request.session.commit()
    answer(
        request,
        f":wastebasket: Deleted your check-in of {moment_for(pair, posted, viewer=me)} "
        f"from your space with <@{pair.mentor.slack_user_id}>. It no longer counts.",
    )
