"""The Home tab's Rhythm, Pause, Resume and End buttons, and the forms they open. They do
what `/mentor cadence`, `pause`, `resume` and `end` do, with pickers instead of syntax."""

from __future__ import annotations

from datetime import date, time, timedelta

from slack_bolt import App

from bot.blocks import home as home_blocks
from bot.blocks import home_forms
from bot.domain import pairs, people
from bot.domain.cadence import Cadence, zone
from bot.domain.errors import UserError
from bot.domain.hours import hours_of
from bot.domain.schedule import cadence_of
from bot.listeners.actions import pair_from_button
from bot.listeners.pair_changes import (
    announce_cadence,
    announce_pause,
    announce_resume,
    check_pause_reason,
    end_pair,
    tell_ended,
)
from bot.listeners.people import actor
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional
from bot.listeners.views import form_values
from bot.store.models import CadenceUnit, Pair, Person

DEFAULT_PAUSE = timedelta(weeks=2)


def _frequency(pair: Pair) -> str:
    cadence = cadence_of(pair)
    return "m1" if cadence.unit is CadenceUnit.MONTH else f"w{cadence.interval}"


def _open(request: SlackRequest, view: dict[str, object]) -> None:
    if not request.trigger_id:
        raise UserError("Slack didn't send what I need to open the form; please try again.")
    request.ack()
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def handle_open_rhythm(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    cadence = cadence_of(pair)
    mentee_hours = hours_of(pair.mentee, default=request.hours)
    mentor_hours = hours_of(pair.mentor, default=request.hours)
    _open(
        request,
        home_forms.rhythm_form(
            pair_id=pair.id,
            other=pairs.other_member(pair, me).slack_user_id,
            mentee=pair.mentee.slack_user_id,
            mentee_tz=str(zone(pair.mentee.tz)),
            frequency=_frequency(pair),
            weekday=cadence.weekday,
            at=cadence.at,
            hours_text=(
                f"mentee {mentee_hours.start:%H:%M}–{mentee_hours.end:%H:%M}, "
                f"mentor {mentor_hours.start:%H:%M}–{mentor_hours.end:%H:%M}, each on their own "
                "clock"
            ),
        ),
    )


def handle_open_pause(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    today = request.now.astimezone(zone(pair.mentee.tz)).date()
    _open(
        request,
        home_forms.pause_form(
            pair_id=pair.id,
            other=pairs.other_member(pair, me).slack_user_id,
            until=today + DEFAULT_PAUSE,
        ),
    )


def handle_open_end(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    _open(
        request,
        home_forms.end_form(pair_id=pair.id, other=pairs.other_member(pair, me).slack_user_id),
    )


def handle_resume(request: SlackRequest) -> None:
    pair, me = pair_from_button(request)
    request.ack()
    pairs.resume(pair, hours=request.hours, now=request.now)
    request.session.commit()
    announce_resume(request, pair, me)


# --- submissions ------------------------------------------------------------------------------


class FieldError(Exception):
    """A form field to flag, with what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _pair_with_picked(request: SlackRequest, values: dict[str, object]) -> tuple[Pair, Person]:
    """The live pair between the person and whoever they picked in the form's user picker."""
    me = actor(request)
    picked = str(values.get("who") or "")
    other = people.person_for(request.session, workspace=me.workspace, slack_user_id=picked)
    pair = pairs.pair_between(request.session, a=me, b=other) if picked else None
    if pair is None:
        raise FieldError(
            "who", "You two are not paired in Rounds; pick someone you're paired with."
        )
    return pair, me


def _cadence_from(request: SlackRequest, values: dict[str, object], pair: Pair) -> Cadence:
    every = str(values.get("every") or "")
    weekday = str(values.get("weekday") or "")
    if every not in dict(home_forms.FREQUENCIES):
        raise FieldError("every", "Pick how often.")
    if weekday not in {str(day) for day in range(5)}:
        raise FieldError("weekday", "Pick a weekday, Monday to Friday.")
    try:
        hour, minute = (int(part) for part in str(values.get("at") or "").split(":"))
        moment = time(hour, minute)
    except ValueError:
        raise FieldError("at", "Pick a time.") from None
    mentee_hours = hours_of(pair.mentee, default=request.hours)
    if not mentee_hours.contains(moment):
        raise FieldError(
            "at",
            "Prompts go out in the mentee's working hours, "
            f"{mentee_hours.start:%H:%M}–{mentee_hours.end:%H:%M} on their clock.",
        )
    unit = CadenceUnit.MONTH if every.startswith("m") else CadenceUnit.WEEK
    return Cadence(unit=unit, interval=int(every[1:]), weekday=int(weekday), at=moment)


def _refuse(request: SlackRequest, field: str, message: str) -> None:
    request.ack(response_action="errors", errors={field: message})


def handle_rhythm_form(request: SlackRequest) -> None:
    values = form_values(request)
    try:
        pair, me = _pair_with_picked(request, values)
        cadence = _cadence_from(request, values, pair)
        pairs.set_cadence(pair, cadence=cadence, hours=request.hours, now=request.now)
    except FieldError as problem:
        _refuse(request, problem.field, problem.message)
        return
    except UserError as problem:
        _refuse(request, "every", problem.message)
        return
    request.ack()
    request.session.commit()
    announce_cadence(request, pair, me)


def handle_pause_form(request: SlackRequest) -> None:
    values = form_values(request)
    reason = str(values.get("reason") or "").strip() or None
    try:
        pair, me = _pair_with_picked(request, values)
        until = date.fromisoformat(str(values.get("until") or ""))
    except FieldError as problem:
        _refuse(request, problem.field, problem.message)
        return
    except ValueError:
        _refuse(request, "until", "Pick the date nudges may start again.")
        return
    try:
        if reason:
            check_pause_reason(reason)
    except UserError as problem:
        _refuse(request, "reason", problem.message)
        return
    try:
        pairs.pause(pair, until=until, now=request.now)
    except UserError as problem:
        _refuse(request, "until", problem.message)
        return
    request.ack()
    request.session.commit()
    announce_pause(request, pair, me, until=until, reason=reason)


def handle_end_form(request: SlackRequest) -> None:
    values = form_values(request)
    try:
        pair, me = _pair_with_picked(request, values)
    except FieldError as problem:
        _refuse(request, problem.field, problem.message)
        return
    request.ack()
    if end_pair(request, pair, me):
        tell_ended(request, pair, me)


ACTIONS = {
    home_blocks.RHYTHM: handle_open_rhythm,
    home_blocks.PAUSE: handle_open_pause,
    home_blocks.RESUME: handle_resume,
    home_blocks.END: handle_open_end,
}
VIEWS = {
    home_forms.RHYTHM_FORM: handle_rhythm_form,
    home_forms.PAUSE_FORM: handle_pause_form,
    home_forms.END_FORM: handle_end_form,
}


def register(app: App) -> None:
    for action_id, handler in ACTIONS.items():
        app.action(action_id)(transactional(handler))
    for callback_id, view_handler in VIEWS.items():
        app.view(callback_id)(transactional(view_handler))
