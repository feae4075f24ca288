"""`/checkin delete`: the author takes back their newest check-in post while it is unanswered."""

from __future__ import annotations

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
    checkin = retract.unanswered_post(request.session, pairs=candidates)
    pair = checkin.pair
    posted = checkin.mentee_checked_in_at or checkin.opened_at
    try:
        request.client.chat_delete(channel=str(checkin.post_channel_id), ts=str(checkin.post_ts))
    except SlackApiError as error:
        if error.response.get("error") != "message_not_found":
            raise  # nothing forgotten: the post is still there
    retract.forget(request.session, checkin)
    request.session.commit()
    answer(
        request,
        f":wastebasket: Deleted your check-in of {moment_for(pair, posted, viewer=me)} "
        f"from your space with <@{pair.mentor.slack_user_id}>. It no longer counts.",
    )
