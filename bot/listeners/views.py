"""Modal submissions (view_submission): the check-in form and the goal form."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt import App

from bot.blocks import checkins as checkin_blocks
from bot.blocks import goals as goal_blocks
from bot.blocks import nudges as nudge_blocks
from bot.domain import checkins, goals
from bot.domain.cadence import zone
from bot.domain.errors import UserError
from bot.listeners.commands.checkin import checkin_message, record_posted
from bot.listeners.commands.goal import add_to_pair
from bot.listeners.guard import form_is_clear
from bot.listeners.people import actor
from bot.listeners.posting import Deadline, NotPostedError, open_space_within, post_from_form
from bot.listeners.presenters import goal_line
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional
from bot.store.models import Pair

log = logging.getLogger("rounds.views")

STALE_FORM = "This form is out of date — the pair it belongs to is gone or changed."


def form_values(request: SlackRequest) -> dict[str, Any]:
    """{block_id: the value of its `value` element}, whatever the element type."""
    state = request.body.get("view", {}).get("state", {}).get("values", {})
    values: dict[str, Any] = {}
    for block_id, elements in state.items():
        element = elements.get("value") if isinstance(elements, dict) else None
        if not isinstance(element, dict):
            continue
        if "selected_option" in element:
            option = element["selected_option"] or {}
            values[block_id] = option.get("value")
        elif "selected_options" in element:
            values[block_id] = [option.get("value") for option in element["selected_options"] or []]
        elif "selected_date" in element:
            values[block_id] = element["selected_date"]
        elif "selected_time" in element:
            values[block_id] = element["selected_time"]
        elif "selected_user" in element:
            values[block_id] = element["selected_user"]
        else:
            values[block_id] = element.get("value")
    return values


def _metadata_pair_id(request: SlackRequest) -> int | None:
    try:
        metadata = json.loads(request.body.get("view", {}).get("private_metadata") or "{}")
    except ValueError:
        return None
    pair_id = metadata.get("pair") if isinstance(metadata, dict) else None
    return pair_id if isinstance(pair_id, int) else None


def _mentee_pair(request: SlackRequest, pair_id: object) -> Pair:
    try:
        pair = request.session.get(Pair, int(str(pair_id)))
    except ValueError:
        pair = None
    me = actor(request)
    if pair is None or pair.mentee_id != me.id:
        raise UserError(STALE_FORM)
    return pair


def _date_or_error(raw: object) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


CHECKIN_NOT_POSTED = (
    "Slack didn't take your check-in just now, so nothing was posted. Your words are still "
    "here: press Post again in a moment."
)
CHECKIN_MAYBE_POSTED = (
    "Slack is slow to confirm your check-in. Press Post again: if the first try did arrive, "
    "Rounds won't post it twice."
)
THANKS_NOT_SENT = (
    "Slack didn't take your note just now, so nothing was sent. Your words are still here: "
    "press Send again in a moment."
)
THANKS_MAYBE_SENT = (
    "Slack is slow to confirm your note. Press Send again: if the first try did arrive, "
    "Rounds won't send it twice."
)


def refused_by_slack(reason: str, what: str) -> str:
    return (
        f"Slack refused to deliver this {what} ({reason}), and trying again won't help. Copy "
        "your words before you close this form, and tell your program coordinator."
    )


def _why_not_posted(failure: NotPostedError, *, what: str, maybe: str, nothing: str) -> str:
    if failure.refused:
        return refused_by_slack(failure.refused, what)
    return maybe if failure.maybe_posted else nothing


def handle_checkin_form(request: SlackRequest) -> None:
    """Post first, then close the form: until Slack has the words, the form keeps them."""
    deadline = Deadline()
    values = form_values(request)
    try:
        pair = _mentee_pair(request, _metadata_pair_id(request) or values.get("pair"))
        checkins.require_running(pair)
    except UserError as problem:
        request.ack(response_action="errors", errors={"mind": problem.message})
        return
    texts = {field: str(values.get(field) or "").strip() for field in checkin_blocks.FORM_FIELDS}
    met_on = _date_or_error(values.get("met"))
    errors: dict[str, str] = {}
    if met_on is not None:
        today = request.now.astimezone(zone(pair.mentee.tz)).date()
        try:
            checkins.check_met_on(met_on, today=today)
        except UserError as problem:
            errors["met"] = problem.message
    if not any(texts.values()) and met_on is None:
        errors["mind"] = "Write something for your mentor, or give the date you met."
    moved_numbers, elsewhere = _moved_goal_numbers(values.get("goals"), pair)
    if elsewhere:
        errors["goals"] = (
            "Tick goals of the mentor you are checking in with; the others belong to another pair."
        )
    if errors:
        request.ack(response_action="errors", errors=errors)
        return
    if not form_is_clear(request):
        return
    moved = [
        goal_line(goal)
        for goal in goals.open_goals_of_pair(request.session, pair)
        if str(goal.number) in moved_numbers
    ]
    update = checkin_blocks.Update(
        mind=texts["mind"],
        questions=texts["questions"],
        challenges=texts["challenges"],
        feedback=texts["feedback"],
        goals_moved=moved,
        met_on=met_on.isoformat() if met_on else None,
    )
    text, blocks = checkin_message(pair, update)
    try:
        channel = open_space_within(request, pair, deadline)
        posted = post_from_form(
            request, channel=channel, text=text, blocks=blocks, deadline=deadline
        )
    except NotPostedError as failure:
        log.warning("a check-in form was not posted: %s", failure)
        why = _why_not_posted(
            failure, what="check-in", maybe=CHECKIN_MAYBE_POSTED, nothing=CHECKIN_NOT_POSTED
        )
        request.ack(response_action="errors", errors={"mind": why})
        return
    request.ack()
    record_posted(
        request, pair, channel=posted.channel, ts=posted.ts, goals_moved=len(moved), met_on=met_on
    )


def _moved_goal_numbers(ticked: object, pair: Pair) -> tuple[set[str], bool]:
    """Goal numbers ticked for `pair`, and whether goals of another pair were ticked too.
    With several mentors the options are `<pair id>:<number>`; with one, just the number."""
    numbers, elsewhere = set(), False
    for value in ticked if isinstance(ticked, list) else []:
        pair_part, _, number = str(value).rpartition(":")
        if pair_part and pair_part != str(pair.id):
            elsewhere = True
            continue
        numbers.add(number)
    return numbers, elsewhere


def handle_goal_form(request: SlackRequest) -> None:
    values = form_values(request)
    pair = _mentee_pair(request, _metadata_pair_id(request))
    due_on = _date_or_error(values.get("due"))
    today = request.now.astimezone(zone(pair.mentee.tz)).date()
    errors: dict[str, str] = {}
    try:
        goals.check_goal_text(str(values.get("text") or ""))
    except UserError as problem:
        errors["text"] = problem.message
    if due_on is not None and due_on < today:
        errors["due"] = f"{due_on.isoformat()} has passed; pick a date from today on."
    if errors:
        request.ack(response_action="errors", errors=errors)
        return
    if not form_is_clear(request):
        return
    request.ack()
    add_to_pair(request, pair, str(values.get("text") or ""), due_on)


MAX_THANKS_LENGTH = 2000


def handle_thanks_form(request: SlackRequest) -> None:
    """Deliver the mentee's note to the mentor, then close the form; keep only the fact that
    thanks were sent."""
    deadline = Deadline()
    note = str(form_values(request).get("note") or "").strip()
    try:
        pair = _mentee_pair(request, _metadata_pair_id(request))
    except UserError as problem:
        request.ack(response_action="errors", errors={"note": problem.message})
        return
    if not note or len(note) > MAX_THANKS_LENGTH:
        request.ack(
            response_action="errors",
            errors={"note": f"Write a note of 1 to {MAX_THANKS_LENGTH} characters."},
        )
        return
    if not form_is_clear(request):
        return
    mentor = pair.mentor.slack_user_id
    text, blocks = nudge_blocks.thanks_note(mentee=pair.mentee.slack_user_id, note=note)
    try:
        post_from_form(request, channel=mentor, text=text, blocks=blocks, deadline=deadline)
    except NotPostedError as failure:
        log.warning("a thanks note was not sent: %s", failure)
        why = _why_not_posted(
            failure, what="note", maybe=THANKS_MAYBE_SENT, nothing=THANKS_NOT_SENT
        )
        request.ack(response_action="errors", errors={"note": why})
        return
    request.ack()
    pair.thanks_sent += 1
    pair.last_thanks_at = request.now
    request.session.commit()
    answer(request, f":gift_heart: Your thanks went to <@{mentor}>.")


VIEWS = {
    checkin_blocks.FORM: handle_checkin_form,
    goal_blocks.ADD_FORM: handle_goal_form,
    nudge_blocks.THANKS_FORM: handle_thanks_form,
}


def register(app: App) -> None:
    for callback_id, handler in VIEWS.items():
        app.view(callback_id)(transactional(handler))
