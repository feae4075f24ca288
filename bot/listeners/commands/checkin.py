"""/checkin — post an update, open the check-in form, or see status."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from slack_sdk.errors import SlackApiError

from bot.blocks import checkins as checkin_blocks
from bot.blocks.common import Block
from bot.blocks.help import usage_for
from bot.domain import checkins, goals, pairs
from bot.domain.errors import UserError
from bot.listeners import guard
from bot.listeners.commands.checkin_delete import handle_delete
from bot.listeners.commands.goal import mentee_pairs
from bot.listeners.commands.help import handle_help
from bot.listeners.commands.typos import did_you_mean
from bot.listeners.guard import clear_to_post
from bot.listeners.home import refresh_homes
from bot.listeners.overview import overview_for
from bot.listeners.people import actor, display_names
from bot.listeners.posting import Posted
from bot.listeners.presenters import goal_line
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.spaces import space_of
from bot.listeners.zones import zoned
from bot.store.models import GoalStatus, Pair, PairState, Person

log = logging.getLogger("rounds.checkin")

MAX_BUTTON_VALUE = 2000
MAX_UPDATE_LENGTH = 3000


def _mentor_only_problem(request: SlackRequest, me: Person) -> UserError:
    if any(pair.mentor_id == me.id for pair in pairs.live_pairs_of(request.session, me)):
        return UserError(
            "Check-ins come from the mentee. As a mentor, reply in the thread of their check-in "
            "or a Rounds nudge, or press *We met* on the Home tab.",
            example="/checkin status",
        )
    return UserError(
        "You need a mentor before checking in. Ask someone with `/mentor request @mentor`.",
        example="/mentor request @Dr. Patel I'd love guidance on research",
    )


def checkin_message(pair: Pair, update: checkin_blocks.Update) -> tuple[str, list[Block]]:
    return checkin_blocks.checkin_post(
        pair_id=pair.id,
        mentee=pair.mentee.slack_user_id,
        mentor=pair.mentor.slack_user_id,
        update=update,
    )


def not_posted_problem(words: str) -> UserError:
    """The person's words come back to them, so a failed post loses nothing they typed."""
    quoted = "\n".join(f"> {line}" for line in words.splitlines() or [""])
    return UserError(
        "Slack didn't confirm your check-in, so it may not have been posted. If it isn't in "
        f"your check-in space in a minute, post it again — here is what you wrote:\n{quoted}",
        example="/checkin <your update>",
    )


def post_update(
    request: SlackRequest,
    pair: Pair,
    update: checkin_blocks.Update,
    *,
    met_on: date | None = None,
) -> None:
    """Post the mentee's words into the check-in space and record only that they checked in."""
    posted = post_checkin(request, pair, update)
    record_posted(
        request,
        pair,
        channel=posted.channel,
        ts=posted.ts,
        goals_moved=len(update.goals_moved),
        met_on=met_on,
    )


def post_checkin(request: SlackRequest, pair: Pair, update: checkin_blocks.Update) -> Posted:
    """Post the update (after the ack). When Slack does not confirm it, the UserError raised
    gives the person their words back."""
    checkins.require_running(pair)
    text, blocks = checkin_message(pair, update)
    try:
        channel = space_of(request, pair)
        response = request.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except (SlackApiError, OSError) as error:
        log.warning("a check-in was not posted: %s", error)
        raise not_posted_problem(update.mind) from error
    return Posted(channel=str(response["channel"]), ts=str(response["ts"]))


def record_posted(
    request: SlackRequest,
    pair: Pair,
    *,
    channel: str,
    ts: str,
    goals_moved: int,
    met_on: date | None,
) -> None:
    """Slack has the mentee's post: record the check-in, tell them, refresh both Home tabs."""
    recorded = checkins.record_mentee_update(
        request.session,
        pair=pair,
        channel_id=channel,
        ts=ts,
        goals_moved=goals_moved,
        met_on=met_on,
        hours=request.hours,
        now=request.now,
    )
    request.session.commit()
    done = " Marked as a complete check-in — nice work." if recorded.completed_now else ""
    answer(
        request,
        f":white_check_mark: Posted to your check-in space with <@{pair.mentor.slack_user_id}>; "
        f"they can reply in the thread.{done}",
    )
    refresh_homes(request, [pair.mentee, pair.mentor])


def handle_update(request: SlackRequest, text: str) -> None:
    if len(text) > MAX_UPDATE_LENGTH:
        raise UserError(
            f"Keep an update under {MAX_UPDATE_LENGTH} characters, or use the form (`/checkin`).",
            example=usage_for("/checkin", "").example,
        )
    me = actor(request)
    candidates = mentee_pairs(request, me)
    if not candidates:
        raise _mentor_only_problem(request, me)
    if not clear_to_post(request, [text], kind=guard.CHECKIN, replay=text):
        return
    if len(candidates) == 1:
        request.ack()
        post_update(request, candidates[0], checkin_blocks.Update(mind=text))
        return
    choices = [(pair.id, pair.mentor.slack_user_id) for pair in candidates]
    # `once` tells this question's buttons from an earlier one's: a second click on the same
    # button posts nothing, asking again does.
    message, blocks = checkin_blocks.choose_pair(
        choices=choices, update=text, once=secrets.token_hex(4)
    )
    if any(len(block.get("accessory", {}).get("value", "")) > MAX_BUTTON_VALUE for block in blocks):
        raise UserError(
            "You have several mentors and this update is long; use the form (`/checkin`) to "
            "pick the mentor and write it there.",
            example="/checkin",
        )
    answer(request, message, blocks)


def _picker_labels(request: SlackRequest, shown: Sequence[Pair]) -> list[tuple[int, str]]:
    """(pair id, label) for the form's "Check in with" menu. Plain text cannot render a
    mention, so it takes names, which must not keep the form from opening while its trigger
    lives (3 s): remembered ones, else what Slack says by the ack deadline, else a date."""
    names = display_names(request, [pair.mentor.slack_user_id for pair in shown])
    labels = []
    for pair in shown:
        name = names.get(pair.mentor.slack_user_id)
        if name is None:
            since = pair.activated_at or pair.requested_at
            name = f"Your mentor since {since:%b} {since.day}, {since.year} (#{pair.id})"
        labels.append((pair.id, name))
    return labels


def open_form(
    request: SlackRequest,
    candidates: Sequence[Pair],
    *,
    chosen: Pair | None = None,
    initial: Mapping[str, str] | None = None,
) -> None:
    if not request.trigger_id:
        raise UserError("Slack didn't send what I need to open the form; please try again.")
    shown = [chosen] if chosen is not None else list(candidates)
    labels = _picker_labels(request, shown) if len(shown) > 1 else [(pair.id, "") for pair in shown]
    goal_pairs = shown if len(shown) == 1 else []
    open_goals = [
        goal_line(goal)
        for pair in goal_pairs
        for goal in goals.open_goals_of_pair(request.session, pair)
    ]
    view = checkin_blocks.checkin_modal(
        pairs=labels,
        goals=open_goals,
        chosen_pair=chosen.id if chosen is not None else None,
        goal_choices=goal_choices(request, shown, labels) if len(shown) > 1 else (),
        initial=initial,
    )
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def goal_choices(
    request: SlackRequest, shown: Sequence[Pair], labels: Sequence[tuple[int, str]]
) -> list[tuple[str, str]]:
    """With several mentors the form still asks which goals moved: every pair's open goals,
    each labelled with its mentor and valued `<pair id>:<number>`."""
    names = dict(labels)
    return [
        (f"{pair.id}:{goal.number}", f"{goal.number}. {goal.text} ({names.get(pair.id, '')})")
        for pair in shown
        for goal in goals.open_goals_of_pair(request.session, pair)
    ]


def open_form_for(request: SlackRequest, *, initial: Mapping[str, str]) -> None:
    """The check-in form for the person pressing a button, filled in with `initial`."""
    me = actor(request)
    candidates = mentee_pairs(request, me)
    if not candidates:
        raise _mentor_only_problem(request, me)
    open_form(request, candidates, initial=initial)


def handle_form(request: SlackRequest, _text: str = "") -> None:
    me = actor(request)
    candidates = mentee_pairs(request, me)
    if not candidates:
        raise _mentor_only_problem(request, me)
    request.ack()
    open_form(request, candidates)


def handle_status(request: SlackRequest, text: str) -> None:
    found = overview_for(request, states=(PairState.ACTIVE, PairState.PAUSED), with_goals=True)
    me = found.person
    items = []
    for pair in found.pairs:
        other = pair.mentor if pair.mentee_id == me.id else pair.mentee
        items.append(
            checkin_blocks.PairStatus(
                other=other.slack_user_id,
                viewer_is_mentee=pair.mentee_id == me.id,
                state=pair.state.value,
                last_checkin=pair.last_complete_checkin_at,
                next_nudge=pair.next_prompt_at,
                open_goals=[
                    goal_line(goal) for goal in pair.goals if goal.status is GoalStatus.OPEN
                ],
                viewer=zoned(me),
                other_zone=zoned(other),
            )
        )
    answer(request, *checkin_blocks.status(items))


def handle_text(request: SlackRequest, text: str) -> None:
    if text:
        handle_update(request, text)
    else:
        handle_form(request)


SUBCOMMANDS: dict[str, Callable[[SlackRequest, str], None]] = {
    "status": handle_status,
    "help": handle_help,
    "delete": handle_delete,
}


def handle_checkin(request: SlackRequest) -> None:
    text = str(request.body.get("text") or "").strip()
    # "status", "help" and "delete" alone are subcommands; other text is an update to post,
    # except one word that is a near miss of a subcommand ("statsu"): that is a typo.
    handler = SUBCOMMANDS.get(text.lower())
    if handler is None and len(text.split()) == 1 and did_you_mean(request, "/checkin", text):
        return
    (handler or handle_text)(request, text)


def choice_payload(value: str) -> dict[str, object]:
    try:
        payload = json.loads(value)
    except ValueError:
        raise UserError("That button is out of date; please run the command again.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("pair"), int):
        raise UserError("That button is out of date; please run the command again.")
    return payload
