"""Buttons (block_actions): consent, ending, choosing a pair, We met, snooze, opening forms."""

from __future__ import annotations

import hashlib

from slack_bolt import App

from bot.blocks import checkins as checkin_blocks
from bot.blocks import goals as goal_blocks
from bot.blocks import home as home_blocks
from bot.blocks import nudges as nudge_blocks
from bot.blocks import pairs as pair_blocks
from bot.domain import checkins, pairs, people
from bot.domain.errors import UserError
from bot.domain.nudges import snooze
from bot.listeners import prompts
from bot.listeners.commands.checkin import (
    choice_payload,
    open_form,
    post_checkin,
    record_posted,
)
from bot.listeners.commands.goal import add_to_pair
from bot.listeners.commands.mentor import start_pair
from bot.listeners.home import refresh_homes
from bot.listeners.notify import tell
from bot.listeners.pair_changes import end_pair, tell_ended
from bot.listeners.parsing import parse_date
from bot.listeners.people import actor
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional
from bot.listeners.zones import moment_for
from bot.store import events as event_store
from bot.store.models import Pair, PairState, Person

STALE = "That button is out of date — the pair it belongs to is gone or changed."


def action_value(request: SlackRequest) -> str:
    found = request.body.get("actions") or [{}]
    return str(found[0].get("value") or "")


def pair_from_button(request: SlackRequest, value: str | int | None = None) -> tuple[Pair, Person]:
    """The pair a button names, and the clicker, who must be one of its members."""
    raw = action_value(request) if value is None else value
    pair = session_pair(request, raw)
    me = actor(request)
    if pair is None or not pairs.is_member(pair, me):
        raise UserError(STALE)
    return pair, me


def session_pair(request: SlackRequest, raw: str | int) -> Pair | None:
    try:
        pair_id = int(raw)
    except (TypeError, ValueError):
        return None
    return request.session.get(Pair, pair_id)


def replace_button_message(request: SlackRequest, text: str) -> None:
    """Swap a message's buttons for what happened, so nobody presses them twice."""
    request.ack()
    if request.body.get("response_url"):
        request.respond(text=text, blocks=[], replace_original=True)


def handle_accept(request: SlackRequest) -> None:
    _answer_request(request, accept=True)


def handle_decline(request: SlackRequest) -> None:
    _answer_request(request, accept=False)


def _answer_request(request: SlackRequest, *, accept: bool) -> None:
    pair = session_pair(request, action_value(request))
    me = actor(request)
    if pair is None:
        raise UserError(STALE)
    pairs.answer_request(
        request.session,
        pair=pair,
        actor=me,
        accept=accept,
        default_capacity=request.settings.mentor_capacity,
        hours=request.hours,
        now=request.now,
    )
    request.session.commit()
    text, _ = pair_blocks.request_answered(mentee=pair.mentee.slack_user_id, accepted=accept)
    replace_button_message(request, text)
    if accept:
        # The mentor just saw "You accepted…"; only the mentee hears about it.
        start_pair(
            request,
            pair,
            intro=f":tada: <@{me.slack_user_id}> accepted your mentorship request.",
            already_told=me,
        )
    else:
        tell(
            request,
            pair.mentee.slack_user_id,
            f"<@{me.slack_user_id}> can't take on a mentee right now. Don't be discouraged — "
            "busy schedules are common. Try another mentor, or ask your coordinator for an idea.",
        )


def handle_end_confirm(request: SlackRequest) -> None:
    pair = session_pair(request, action_value(request))
    me = actor(request)
    allowed = pair is not None and (
        pairs.is_member(pair, me)
        or (
            pair.workspace_id == me.workspace_id
            and people.is_coordinator(me, configured=request.settings.coordinators)
        )
    )
    if pair is None or not allowed:
        raise UserError(STALE)
    if not end_pair(request, pair, me):
        return  # an alumni pair: its members heard that the catch-ups stopped
    replace_button_message(
        request, ":wave: The pair has ended. Its history is kept; no more nudges."
    )
    tell_ended(request, pair, me)


def handle_end_cancel(request: SlackRequest) -> None:
    replace_button_message(request, "OK — the pair continues.")


def click_key(request: SlackRequest) -> str:
    """The same for every click on one button of one message by one person. The choice
    buttons carry a fresh `once` in their value, so asking again makes new buttons."""
    action = (request.body.get("actions") or [{}])[0]
    container = request.body.get("container") or {}
    parts = (
        request.team_id,
        request.user_id,
        str(action.get("action_id") or ""),
        str(action.get("value") or ""),
        str(container.get("message_ts") or ""),
    )
    return "click:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def handle_goal_choice(request: SlackRequest) -> None:
    payload = choice_payload(action_value(request))
    pair, me = pair_from_button(request, str(payload["pair"]))
    if pair.mentee_id != me.id:
        raise UserError(STALE)
    due = payload.get("due")
    due_on = parse_date(due, example="/goal add …") if isinstance(due, str) else None
    # Committed with the goal (and gone if adding fails): a second click of a double click
    # waits for the first and then finds its claim.
    if not event_store.claim_event(request.session, event_id=click_key(request), now=request.now):
        answer(request, "That goal was already added — `/goal list` shows it.")
        return
    request.ack()
    goal = add_to_pair(request, pair, str(payload.get("text") or ""), due_on)
    # The buttons give way to what happened, once it has.
    if request.body.get("response_url"):
        request.respond(
            text=f"Goal {goal.number} is with <@{pair.mentor.slack_user_id}>.",
            blocks=[],
            replace_original=True,
        )


def handle_checkin_choice(request: SlackRequest) -> None:
    payload = choice_payload(action_value(request))
    pair, me = pair_from_button(request, str(payload["pair"]))
    if pair.mentee_id != me.id:
        raise UserError(STALE)
    checkins.require_running(pair)
    request.ack()
    # The claim is committed before the post, so no database lock waits on Slack, and
    # released if the post fails, so the button can be pressed again.
    key = click_key(request)
    if not event_store.claim_event(request.session, event_id=key, now=request.now):
        answer(request, "That check-in was already posted (or is on its way).")
        return
    request.session.commit()
    update = checkin_blocks.Update(mind=str(payload.get("text") or ""))
    try:
        posted = post_checkin(request, pair, update)
    except UserError:
        request.session.rollback()
        event_store.forget_event(request.session, event_id=key)
        request.session.commit()
        raise
    record_posted(request, pair, channel=posted.channel, ts=posted.ts, goals_moved=0, met_on=None)
    if request.body.get("response_url"):
        request.respond(
            text=f"Posted your check-in with <@{pair.mentor.slack_user_id}>.",
            blocks=[],
            replace_original=True,
        )


def handle_we_met(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    request.ack()
    clicked = prompts.clicked_prompt(request)
    if clicked is not None and prompts.refuse_if_stale(request, clicked, pair):
        return
    recorded = checkins.record_meeting(
        request.session, pair=pair, actor=me, met_on=None, hours=request.hours, now=request.now
    )
    request.session.commit()
    # The prompt (the one pressed, or the pair's open one) shows who marked the meeting.
    note = prompts.settle(request, pair, me, how="met", prompt=clicked)
    if clicked is None:
        prompts.show_on_clicked(request, note)  # a check-in post's "We met"
    if not recorded.completed_now:
        answer(request, "Your last check-in was already complete — thanks for keeping it going.")
        return
    answer(request, ":handshake: Noted that you met — that counts as a complete check-in.")
    if pair.checkin_channel_id:
        tell(
            request,
            pair.checkin_channel_id,
            f":handshake: <@{me.slack_user_id}> noted that you met. Check-in complete — "
            "the next nudge comes one period from today.",
        )
    refresh_homes(request, [pair.mentee, pair.mentor])


def handle_snooze(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    request.ack()
    clicked = prompts.clicked_prompt(request)
    if clicked is not None and prompts.refuse_if_stale(request, clicked, pair):
        return
    if pair.state is not PairState.ACTIVE:
        raise UserError("This pair is paused or ended, so there is no prompt to snooze.")
    snoozed = snooze(request.session, pair, hours=request.hours, now=request.now)
    request.session.commit()
    when = moment_for(pair, snoozed.next_prompt_at, viewer=me)
    if not snoozed.changed:
        answer(request, f":zzz: Nothing to snooze — the next prompt already comes {when}.")
        return
    prompts.settle(request, pair, me, how="snoozed", prompt=clicked)
    answer(request, f":zzz: Snoozed — the next prompt comes {when}.")
    if pair.checkin_channel_id:
        tell(
            request,
            pair.checkin_channel_id,
            f":zzz: <@{me.slack_user_id}> snoozed this prompt for a week.",
        )
    refresh_homes(request, [pair.mentee, pair.mentor])


def handle_open_checkin_form(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    if pair.mentee_id != me.id:
        raise UserError(
            f"Check-ins come from <@{pair.mentee.slack_user_id}>. As their mentor, reply in the "
            "thread, or press *We met* after you meet."
        )
    checkins.require_running(pair)
    request.ack()
    open_form(request, [pair], chosen=pair)


def handle_open_goal_form(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    if pair.mentee_id != me.id:
        raise UserError(f"Goals belong to <@{pair.mentee.slack_user_id}>; they add them.")
    request.ack()
    request.client.views_open(
        trigger_id=request.trigger_id,
        view=goal_blocks.add_goal_modal(pair_id=pair.id, mentor=pair.mentor.slack_user_id),
    )


def handle_send_thanks(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    if pair.mentee_id != me.id:
        raise UserError(STALE)
    request.ack()
    request.client.views_open(
        trigger_id=request.trigger_id,
        view=nudge_blocks.thanks_modal(pair_id=pair.id, mentor=pair.mentor.slack_user_id),
    )


ACTIONS = {
    pair_blocks.ACCEPT: handle_accept,
    pair_blocks.DECLINE: handle_decline,
    pair_blocks.END_CONFIRM: handle_end_confirm,
    pair_blocks.END_CANCEL: handle_end_cancel,
    goal_blocks.CHOOSE_PAIR: handle_goal_choice,
    checkin_blocks.CHOOSE_PAIR: handle_checkin_choice,
    home_blocks.WE_MET: handle_we_met,
    checkin_blocks.SNOOZE: handle_snooze,
    checkin_blocks.OPEN_FORM: handle_open_checkin_form,
    home_blocks.CHECKIN: handle_open_checkin_form,
    home_blocks.ADD_GOAL: handle_open_goal_form,
    nudge_blocks.SEND_THANKS: handle_send_thanks,
}


def register(app: App) -> None:
    for action_id, handler in ACTIONS.items():
        app.action(action_id)(transactional(handler))
