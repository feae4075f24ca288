"""What the program tools' handlers share: the coordinator check, files, long work."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks import program as program_blocks
from bot.domain import people
from bot.domain.errors import UserError
from bot.listeners.people import actor
from bot.listeners.request import SlackRequest
from bot.store.models import Person

log = logging.getLogger("rounds.program")


def coordinator(request: SlackRequest, *, action: str) -> Person:
    me = actor(request)
    people.require_coordinator(me, configured=request.settings.coordinators, action=action)
    return me


def open_modal(request: SlackRequest, view: dict[str, object]) -> None:
    if not request.trigger_id:
        raise UserError("Slack didn't send what I need to open the form; please try again.")
    request.ack()
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def submitted_file(request: SlackRequest) -> dict[str, Any] | None:
    """The file chosen in a form's file_input, as Slack describes it."""
    values = request.body.get("view", {}).get("state", {}).get("values", {})
    element = (values.get(program_blocks.FILE_BLOCK) or {}).get("value") or {}
    files = element.get("files") if isinstance(element, dict) else None
    if not isinstance(files, list) or not files or not isinstance(files[0], dict):
        return None
    return files[0]


def show_in_form(request: SlackRequest, view: dict[str, object]) -> bool:
    """Replace the open form; False when it was closed meanwhile (then say it by DM)."""
    view_id = request.body.get("view", {}).get("id")
    if not view_id:
        return False
    try:
        request.client.views_update(view_id=view_id, view=view)
        return True
    except SlackApiError as error:
        log.info("could not update the form: %s", error.response.get("error"))
        return False
