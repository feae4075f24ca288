"""Prompts people acted on: their buttons give way to what happened and by whom ("We met —
marked by @x, Tue Jan 19"), and a button on an old prompt answers instead of acting twice."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks import nudges as nudge_blocks
from bot.blocks import settled as settled_blocks
from bot.blocks.common import Block
from bot.blocks.home import GoalLine
from bot.blocks.times import day
from bot.domain import goals, prompt_state
from bot.domain.prompt_state import Stale
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.zones import zoned
from bot.store.models import Delivery, Pair, Person

log = logging.getLogger("rounds.prompts")


def _clicked_message(request: SlackRequest) -> tuple[str, str] | None:
    """(channel, ts) of the message whose button was pressed, when it is a shared message
    (not an ephemeral answer, not the Home tab)."""
    container = request.body.get("container") or {}
    channel = container.get("channel_id") or (request.body.get("channel") or {}).get("id")
    ts = container.get("message_ts")
    if container.get("type") != "message" or container.get("is_ephemeral") or not channel or not ts:
        return None
    return str(channel), str(ts)


def clicked_prompt(request: SlackRequest) -> Delivery | None:
    """The prompt the pressed button sits on, if it sits on one."""
    where = _clicked_message(request)
    if where is None:
        return None
    return prompt_state.prompt_at(request.session, channel_id=where[0], ts=where[1])


def _note(request: SlackRequest, prompt: Delivery) -> str:
    by = request.session.get(Person, prompt.settled_by_id) if prompt.settled_by_id else None
    when = prompt.settled_at or request.now
    return settled_blocks.note(
        prompt.settled_as or "handled",
        by=by.slack_user_id if by is not None else "someone",
        on=day(when, zoned(by)) if by is not None else f"{when:%a %b %-d}",
    )


def _rebuilt_prompt(request: SlackRequest, pair: Pair) -> tuple[str, list[Block]]:
    open_goals = [
        GoalLine(goal.number, goal.text, goal.due_on.isoformat() if goal.due_on else None)
        for goal in goals.open_goals_of_pair(request.session, pair)
    ]
    return nudge_blocks.prompt(
        pair_id=pair.id,
        mentee=pair.mentee.slack_user_id,
        mentor=pair.mentor.slack_user_id,
        goals=open_goals,
        theme=prompt_state.theme_of_latest_prompt(request.session, pair).value,
    )


def _update(request: SlackRequest, channel: str, ts: str, blocks: list[Block], text: str) -> None:
    """Best effort: the action already happened; a message that keeps its buttons still
    answers clearly when pressed (see `refuse_if_stale`)."""
    try:
        request.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("could not update message %s: %s", ts, error.response.get("error"))


def _clicked_message_content(request: SlackRequest) -> tuple[str, list[Block]] | None:
    """The text and blocks of the message whose button was pressed, as Slack sent them."""
    message: dict[str, Any] = request.body.get("message") or {}
    blocks = message.get("blocks")
    if not isinstance(blocks, list):
        return None
    return str(message.get("text") or ""), list(blocks)


def show_settled(request: SlackRequest, prompt: Delivery, pair: Pair, note: str) -> None:
    """Replace the prompt's buttons with what happened: in the clicked message when the
    button was on it, else in the prompt found by its channel and ts."""
    if prompt.channel_id is None or prompt.ts is None:
        return
    clicked = _clicked_message(request)
    original = (
        _clicked_message_content(request) if clicked == (prompt.channel_id, prompt.ts) else None
    )
    text, blocks = original or _rebuilt_prompt(request, pair)
    _update(request, prompt.channel_id, prompt.ts, settled_blocks.settled(blocks, note), text)


def show_on_clicked(request: SlackRequest, note: str) -> None:
    """Replace the buttons of the clicked message (a check-in post's "We met") with `note`."""
    clicked, content = _clicked_message(request), _clicked_message_content(request)
    if clicked is not None and content is not None:
        _update(request, *clicked, settled_blocks.settled(content[1], note), content[0] or note)


def refuse_if_stale(request: SlackRequest, prompt: Delivery, pair: Pair) -> bool:
    """When the prompt was already acted on or a newer one came since: say so, make sure its
    buttons are gone, and return True (the caller does nothing else)."""
    stale = prompt_state.staleness(request.session, prompt)
    if stale is None:
        return False
    # The message changes first, so by the time the answer arrives it shows why.
    if stale is Stale.SETTLED:
        note = _note(request, prompt)
        show_settled(request, prompt, pair, note)
        answer(request, f"This prompt was already handled: {note}. Nothing changed.")
    else:
        show_settled(
            request, prompt, pair, "A newer prompt came since; use that one, or the Home tab."
        )
        answer(
            request,
            "This prompt is from an earlier round, so its buttons no longer act. Use the "
            "newest prompt in your check-in space, or the buttons on your Home tab.",
        )
    return True


def settle(
    request: SlackRequest, pair: Pair, me: Person, *, how: str, prompt: Delivery | None
) -> str:
    """Mark `prompt` (or else the pair's newest open prompt) acted on, and show it. Returns
    the note, e.g. "We met — marked by @x, Tue Jan 19"."""
    target = prompt or prompt_state.open_prompt(request.session, pair)
    note = settled_blocks.note(how, by=me.slack_user_id, on=day(request.now, zoned(me)))
    if target is None:
        return note
    prompt_state.settle(target, how=how, by=me, now=request.now)
    request.session.commit()
    show_settled(request, target, pair, note)
    return note
