"""Buttons of the program tools: Nudge and End on the "needs attention" list, the Home tab's
tools, and Import from a dry run sent by DM."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.blocks import pairs as pair_blocks
from bot.blocks import program as program_blocks
from bot.domain.errors import UserError
from bot.domain.pairs import LIVE_STATES
from bot.domain.program.attention import Reason
from bot.listeners.actions import action_value, replace_button_message
from bot.listeners.notify import tell
from bot.listeners.program.commands import handle_export
from bot.listeners.program.common import coordinator, open_modal
from bot.listeners.program.imports import run_import
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional
from bot.slack_out import ensure_checkin_space
from bot.store.models import Pair, Person

STALE = "That button is out of date — the pair changed since the list was made."


def _attention_pair(request: SlackRequest, me: Person) -> tuple[Pair, Reason]:
    try:
        payload = json.loads(action_value(request))
        pair = request.session.get(Pair, int(payload["pair"]))
        reason = Reason(payload["reason"])
    except (ValueError, KeyError, TypeError):
        raise UserError(STALE) from None
    if pair is None or pair.workspace_id != me.workspace_id:
        raise UserError(STALE)
    return pair, reason


def handle_nudge(request: SlackRequest) -> None:
    me = coordinator(request, action="nudge pairs")
    pair, reason = _attention_pair(request, me)
    request.ack()
    note = program_blocks.coordinator_note(
        reason=reason,
        coordinator=me.slack_user_id,
        mentee=pair.mentee.slack_user_id,
        mentor=pair.mentor.slack_user_id,
    )
    if reason is Reason.WAITING_CONSENT:
        target, who = pair.mentor.slack_user_id, f"<@{pair.mentor.slack_user_id}>"
    elif reason is Reason.DECLINED:
        target, who = pair.mentee.slack_user_id, f"<@{pair.mentee.slack_user_id}>"
    else:
        if pair.state not in LIVE_STATES:
            raise UserError(STALE)
        target = ensure_checkin_space(request.client, pair)
        request.session.commit()
        who = f"<@{pair.mentee.slack_user_id}> and <@{pair.mentor.slack_user_id}>"
    if not tell(request, target, note):
        raise UserError(f"Slack didn't let me reach {who}; the pair may need your help directly.")
    answer(request, f":wave: Sent a friendly note to {who}.")


def handle_end(request: SlackRequest) -> None:
    me = coordinator(request, action="end other people's pairs")
    pair, _ = _attention_pair(request, me)
    if pair.state not in LIVE_STATES:
        raise UserError("This pair has already ended.")
    label = f"<@{pair.mentee.slack_user_id}> and <@{pair.mentor.slack_user_id}>"
    answer(request, *pair_blocks.end_confirmation(pair_id=pair.id, label=label))


def handle_open_import(request: SlackRequest) -> None:
    coordinator(request, action="import pairs")
    open_modal(request, program_blocks.import_modal())


def handle_open_calendar_import(request: SlackRequest) -> None:
    coordinator(request, action="change the academic calendar")
    open_modal(request, program_blocks.calendar_modal())


def handle_export_button(request: SlackRequest) -> None:
    handle_export(request)


def handle_import_confirm(request: SlackRequest) -> None:
    me = coordinator(request, action="import pairs")
    try:
        run_id = int(action_value(request))
    except ValueError:
        raise UserError(STALE) from None
    replace_button_message(request, ":hourglass_flowing_sand: Creating the pairs…")
    answer(request, run_import(request, me, run_id))


ACTIONS = {
    program_blocks.NUDGE: handle_nudge,
    program_blocks.END: handle_end,
    program_blocks.OPEN_IMPORT: handle_open_import,
    program_blocks.OPEN_CALENDAR_IMPORT: handle_open_calendar_import,
    program_blocks.EXPORT: handle_export_button,
    program_blocks.IMPORT_CONFIRM: handle_import_confirm,
}


def register(app: App) -> None:
    for action_id, handler in ACTIONS.items():
        app.action(action_id)(transactional(handler))
