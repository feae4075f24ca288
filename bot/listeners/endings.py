"""After a pair ends: "Keep in touch" (on the wrap-ups and the Home tab), the catch-ups it
starts, and stopping them; and the directory's Request button."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.blocks import directory as directory_blocks
from bot.blocks import endings as ending_blocks
from bot.blocks.common import Block
from bot.domain import endings, pairs
from bot.domain.endings import KeptInTouch
from bot.domain.errors import UserError
from bot.domain.record import record_at_end
from bot.listeners.commands.mentor import handle_request
from bot.listeners.home import refresh_homes
from bot.listeners.notify import tell
from bot.listeners.people import actor
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional
from bot.listeners.zones import zoned
from bot.store.models import Pair, PairState, Person

STALE = "That button is out of date — the pair it belongs to is gone or changed."
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


def _value(request: SlackRequest) -> str:
    found = request.body.get("actions") or [{}]
    return str(found[0].get("value") or "")


def _wrap_up_as_now(request: SlackRequest, pair: Pair, me: Person) -> tuple[str, list[Block]]:
    """The member's wrap-up, rebuilt with what they chose instead of the button."""
    kept = "alumni" if pair.state is PairState.ALUMNI else "waiting"
    first = pair.next_prompt_at if pair.state is PairState.ALUMNI else None
    zones = [zoned(me), zoned(pairs.other_member(pair, me))]
    if me.id == pair.mentee_id:
        return ending_blocks.mentee_wrap_up(
            pair_id=pair.id,
            mentor=pair.mentor.slack_user_id,
            kept=kept,
            first_catch_up=first,
            zones=zones,
        )
    counted = record_at_end(request.session, pair)
    return ending_blocks.mentor_wrap_up(
        pair_id=pair.id,
        mentee=pair.mentee.slack_user_id,
        together=ending_blocks.Together(
            months=counted.months,
            checkins=counted.checkins_completed,
            thanks=counted.thanks_received,
        ),
        kept=kept,
        first_catch_up=first,
        zones=zones,
    )


def _member_and_pair(request: SlackRequest) -> tuple[Pair, Person]:
    """The pair a button names, and the clicker, who must be one of its members."""
    value = _value(request)
    pair = request.session.get(Pair, int(value)) if value.isdigit() else None
    me = actor(request)
    if pair is None or not pairs.is_member(pair, me):
        raise UserError(STALE)
    return pair, me


def handle_keep_in_touch(request: SlackRequest) -> None:
    pair, me = _member_and_pair(request)
    outcome = endings.keep_in_touch(
        request.session, pair=pair, member=me, hours=request.hours, now=request.now
    )
    request.session.commit()
    request.ack()
    if request.body.get("response_url"):  # pressed on the wrap-up DM: show what was chosen
        text, blocks = _wrap_up_as_now(request, pair, me)
        request.respond(text=text, blocks=blocks, replace_original=True)
    other = pairs.other_member(pair, me)
    if outcome is KeptInTouch.ALUMNI:
        assert pair.next_prompt_at is not None
        text, blocks = ending_blocks.now_alumni(
            mentee=pair.mentee.slack_user_id,
            mentor=pair.mentor.slack_user_id,
            first_catch_up=pair.next_prompt_at,
            zones=[zoned(pair.mentee), zoned(pair.mentor)],
        )
        if pair.checkin_channel_id is None or not tell(
            request, pair.checkin_channel_id, text, blocks
        ):
            for member in (pair.mentee, pair.mentor):
                tell(request, member.slack_user_id, text, blocks)
    elif outcome is KeptInTouch.WAITING:
        tell(
            request,
            other.slack_user_id,
            *ending_blocks.other_wants_to_keep_in_touch(who=me.slack_user_id),
        )
    refresh_homes(request, [pair.mentee, pair.mentor])


def tell_catch_ups_stopped(request: SlackRequest, pair: Pair, *, actor: Person) -> None:
    """After `/mentor end` on an alumni pair is confirmed."""
    request.ack()
    if request.body.get("response_url"):
        request.respond(
            text=":wave: The catch-ups have stopped. Your history together is kept.",
            blocks=[],
            replace_original=True,
        )
    for member in (pair.mentee, pair.mentor):
        if member.id != actor.id:
            other = pairs.other_member(pair, member)
            tell(
                request,
                member.slack_user_id,
                *ending_blocks.catch_ups_stopped(
                    actor=actor.slack_user_id, other=other.slack_user_id
                ),
            )
    refresh_homes(request, [pair.mentee, pair.mentor])


def handle_directory_request(request: SlackRequest) -> None:
    """A Request button on `/mentor find` results: the same consent flow as `/mentor request`."""
    mentor_id = _value(request)
    if not _USER_ID.match(mentor_id):
        raise UserError(STALE)
    handle_request(request, f"<@{mentor_id}>")


ACTIONS = {
    ending_blocks.KEEP_IN_TOUCH: handle_keep_in_touch,
    directory_blocks.REQUEST: handle_directory_request,
}


def register(app: App) -> None:
    for action_id, handler in ACTIONS.items():
        app.action(action_id)(transactional(handler))
