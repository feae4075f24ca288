"""The patient-information guard where people type: slash commands and forms.

Before Rounds posts or stores free text (check-in updates and form fields, goals, request
notes, thank-you notes) it runs bot.domain.phi_guard. On a hit the person is asked,
privately, "This may contain patient information" with Edit / Post anyway. Nothing is kept
server-side meanwhile: for a slash command the text rides in the buttons' value, for a form
it stays in the form. The text and the findings are never logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App

from bot.blocks import guard as guard_blocks
from bot.domain import phi_guard
from bot.domain.errors import UserError
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional
from bot.store import events as event_store

# What "Post anyway" replays: the command's own handler, told the person confirmed.
CHECKIN, GOAL, REQUEST = "checkin", "goal", "request"
MAX_FORM_TEXT = 1000  # the check-in form's fields take this much


def clear_to_post(
    request: SlackRequest, texts: Sequence[str], *, kind: str, replay: str, verb: str = "Post"
) -> bool:
    """True when no text looks like patient information, or the person already said "Post
    anyway". Otherwise answers privately with Edit / Post anyway and returns False; `replay`
    is the command text the buttons carry to run again."""
    if request.phi_confirmed:
        return True
    findings = phi_guard.scan_all(texts)
    if not findings:
        return True
    message, blocks = guard_blocks.warning(
        found=phi_guard.describe(findings),
        text="\n".join(text for text in texts if text),
        payload={"k": kind, "t": replay},
        verb=verb,
    )
    answer(request, message, blocks)
    return False


def _payload(request: SlackRequest) -> tuple[str, str]:
    raw = str(((request.body.get("actions") or [{}])[0]).get("value") or "")
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = None
    if (
        not isinstance(payload, dict)
        or payload.get("k") not in _REPLAYS
        or not isinstance(payload.get("t"), str)
    ):
        raise UserError("That button is out of date; please send your words again.")
    return str(payload["k"]), str(payload["t"])


def _replace_warning(request: SlackRequest, text: str, blocks: list[Any] | None = None) -> None:
    request.ack()
    if request.body.get("response_url"):
        request.respond(text=text, blocks=blocks or [], replace_original=True)


def _replay_checkin(request: SlackRequest, text: str) -> None:
    from bot.listeners.commands import checkin

    checkin.handle_update(request, text)


def _replay_goal(request: SlackRequest, text: str) -> None:
    from bot.listeners.commands import goal

    goal.handle_add(request, text)


def _replay_request(request: SlackRequest, text: str) -> None:
    from bot.listeners.commands import mentor

    mentor.handle_request(request, text)


_REPLAYS: dict[str, Callable[[SlackRequest, str], None]] = {
    CHECKIN: _replay_checkin,
    GOAL: _replay_goal,
    REQUEST: _replay_request,
}


def handle_post_anyway(request: SlackRequest) -> None:
    """Run the command again as the person wrote it. A double click sends once: the click is
    claimed (committed) first, and released when the sending fails, so it can be retried."""
    from bot.listeners.actions import click_key

    kind, text = _payload(request)
    key = click_key(request)
    if not event_store.claim_event(request.session, event_id=key, now=request.now):
        answer(request, "That was already sent (or is on its way).")
        return
    request.session.commit()
    _replace_warning(request, ":shield: OK — sending it as you wrote it.")
    request.phi_confirmed = True
    try:
        _REPLAYS[kind](request, text)
    except Exception:
        request.session.rollback()
        event_store.forget_event(request.session, event_id=key)
        request.session.commit()
        raise


def handle_edit(request: SlackRequest) -> None:
    """A check-in opens in the form, filled in, to edit there; other words come back as
    text to change and send again (Slack cannot refill the message box)."""
    kind, text = _payload(request)
    if kind == CHECKIN and len(text) <= MAX_FORM_TEXT and request.trigger_id:
        from bot.listeners.commands import checkin

        _replace_warning(request, "Opening the check-in form with your words, to edit there…")
        checkin.open_form_for(request, initial={"mind": text})
        return
    _replace_warning(request, *guard_blocks.edited(_shown(kind, text)))


def _shown(kind: str, text: str) -> str:
    """The person's own words from the replayed command (without the mentor's mention)."""
    if kind == REQUEST:
        return text.split(">", 1)[-1].strip() if text.startswith("<@") else text
    return text


# --- forms ------------------------------------------------------------------------------------


def _typed_texts(view: dict[str, Any]) -> list[str]:
    """Everything typed into the form's text fields."""
    texts = []
    for elements in ((view.get("state") or {}).get("values") or {}).values():
        for element in (elements or {}).values():
            if isinstance(element, dict) and element.get("type") == "plain_text_input":
                texts.append(str(element.get("value") or ""))
    return texts


def _first_text_block(view: dict[str, Any]) -> str | None:
    for block_id, elements in ((view.get("state") or {}).get("values") or {}).items():
        for element in (elements or {}).values():
            is_text = isinstance(element, dict) and element.get("type") == "plain_text_input"
            if is_text and element.get("value"):
                return str(block_id)
    return None


def _ticked(view: dict[str, Any]) -> bool:
    confirm = ((view.get("state") or {}).get("values") or {}).get(guard_blocks.CONFIRM_BLOCK)
    element = (confirm or {}).get("value") or {}
    chosen = [option.get("value") for option in element.get("selected_options") or []]
    return guard_blocks.confirmed({guard_blocks.CONFIRM_BLOCK: chosen})


def form_is_clear(request: SlackRequest) -> bool:
    """For a form being submitted: True when nothing typed looks like patient information or
    the person ticked "Post anyway". Otherwise it answers Slack with the form again, as
    filled in, asking — and returns False (the submission is acknowledged)."""
    view = request.body.get("view") or {}
    if request.phi_confirmed or _ticked(view):
        return True
    findings = phi_guard.scan_all(_typed_texts(view))
    if not findings:
        return True
    found = phi_guard.describe(findings)
    if view.get("blocks"):
        request.ack(
            response_action="update", view=guard_blocks.form_with_question(view, found=found)
        )
    else:  # a form Slack sent back without its blocks: ask on the field instead
        field = _first_text_block(view) or "text"
        request.ack(
            response_action="errors",
            errors={field: f"{guard_blocks.HEADLINE} ({found}). Leave it out to post."},
        )
    return False


ACTIONS = {
    guard_blocks.POST_ANYWAY: handle_post_anyway,
    guard_blocks.EDIT: handle_edit,
}


def register(app: App) -> None:
    for action_id, handler in ACTIONS.items():
        app.action(action_id)(transactional(handler))
