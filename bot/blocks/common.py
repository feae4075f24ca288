"""Small Block Kit pieces shared by the builders."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
MAX_MESSAGE_BLOCKS = 50  # Slack refuses a message with more


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str) -> Block:
    if len(text) > SECTION_TEXT_LIMIT:
        text = text[: SECTION_TEXT_LIMIT - 1] + "…"
    return {"type": "section", "text": mrkdwn(text)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text[:150])}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text), "action_id": action_id}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def mention(slack_user_id: str) -> str:
    return f"<@{slack_user_id}>"


def modal(
    *,
    callback_id: str,
    title: str,
    submit: str,
    blocks: list[Block],
    metadata: Mapping[str, object],
) -> dict[str, object]:
    """A form. `metadata` comes back with the submission (Slack keeps it, Rounds does not)."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata),
        "title": plain(title[:24]),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "blocks": blocks,
    }
