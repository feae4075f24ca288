"""What the patient-information guard shows: the private warning with Edit / Post anyway,
and the same question inside a form. Nothing here is stored; the text rides along in the
button's value or the form itself, within Slack's size limits."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from bot.blocks.common import Block, actions, button, context, plain, section

POST_ANYWAY = "phi_post_anyway"
EDIT = "phi_edit"
CONFIRM_BLOCK = "phi_confirm"
WARNING_BLOCK = "phi_warning"
MAX_BUTTON_VALUE = 2000  # Slack's limit for a button's value
HEADLINE = "This may contain patient information"
# View fields Slack adds to a view it sends back; a view Rounds sends must not carry them.
_SLACK_OWNED = {
    "id",
    "team_id",
    "state",
    "hash",
    "root_view_id",
    "previous_view_id",
    "app_id",
    "app_installed_team_id",
    "bot_id",
    "external_id",
    "clear_on_close",
    "notify_on_close",
    "submit_disabled",
}


def _quoted(text: str) -> str:
    return "\n".join(f">{line}" for line in text.splitlines() or [""])


def warning(
    *, found: str, text: str, payload: Mapping[str, object], verb: str = "Post"
) -> tuple[str, list[Block]]:
    """The private answer: what was found (never stored, never logged), the person's own words
    so nothing is lost, and Edit / Post anyway. `payload` rides on the buttons."""
    message = f":shield: {HEADLINE} ({found}), so Rounds {verb.lower()}ed nothing yet."
    blocks: list[Block] = [
        section(message),
        section(f"What you wrote:\n{_quoted(text)}"),
        context(
            "Leave out record numbers, dates of birth, phone numbers, patient names and room or "
            "bed numbers. If it is fine as it is (your own phone number, say), post it anyway."
        ),
    ]
    value = json.dumps(payload, separators=(",", ":"))
    if len(value) <= MAX_BUTTON_VALUE:
        blocks.append(
            actions(
                button("Edit", EDIT, value, style="primary"),
                button(f"{verb} anyway", POST_ANYWAY, value),
                block_id="phi_guard",
            )
        )
    else:
        blocks.append(
            context(
                "It is too long to carry on a button: copy it from above, edit it and send it "
                "again, or use the form (`/checkin`)."
            )
        )
    return message, blocks


def edited(text: str) -> tuple[str, list[Block]]:
    """What the warning becomes when the person chose to edit a slash command's text."""
    message = "OK — nothing was posted. Here is what you wrote, to edit and send again:"
    return message, [section(message), section(_quoted(text))]


def _initial(element: dict[str, Any], state: Mapping[str, Any]) -> None:
    """Put the submitted value back as the element's initial value (Slack keeps typed input
    across an update only while block IDs stay the same; this makes it explicit)."""
    kind = element.get("type")
    if kind == "plain_text_input" and state.get("value") is not None:
        element["initial_value"] = state["value"]
    elif kind == "static_select" and state.get("selected_option"):
        element["initial_option"] = state["selected_option"]
    elif kind == "checkboxes" and state.get("selected_options"):
        element["initial_options"] = state["selected_options"]
    elif kind == "datepicker" and state.get("selected_date"):
        element["initial_date"] = state["selected_date"]
    elif kind == "timepicker" and state.get("selected_time"):
        element["initial_time"] = state["selected_time"]
    elif kind == "users_select" and state.get("selected_user"):
        element["initial_user"] = state["selected_user"]


def form_with_question(view: Mapping[str, Any], *, found: str) -> dict[str, Any]:
    """The submitted form again, as filled in, with the warning on top and a "Post anyway"
    box at the bottom: editing the text or ticking the box lets it through."""
    values: Mapping[str, Any] = (view.get("state") or {}).get("values") or {}
    rebuilt = {key: copy.deepcopy(value) for key, value in view.items() if key not in _SLACK_OWNED}
    blocks: list[Block] = []
    for block in rebuilt.get("blocks") or []:
        if block.get("block_id") in {WARNING_BLOCK, CONFIRM_BLOCK}:
            continue
        element = block.get("element")
        state = (values.get(block.get("block_id", "")) or {}).get(
            (element or {}).get("action_id", "value")
        )
        if isinstance(element, dict) and isinstance(state, dict):
            _initial(element, state)
        blocks.append(block)
    warning_block = section(
        f":shield: *{HEADLINE}* ({found}). Edit it out, or tick the box below to post it as it is."
    )
    warning_block["block_id"] = WARNING_BLOCK
    confirm: Block = {
        "type": "input",
        "block_id": CONFIRM_BLOCK,
        "optional": True,
        "label": plain("Patient information"),
        "element": {
            "type": "checkboxes",
            "action_id": "value",
            "options": [
                {
                    "text": plain("Post anyway — I checked, it is fine as it is"),
                    "value": "post_anyway",
                }
            ],
        },
    }
    rebuilt["blocks"] = [warning_block, *blocks, confirm][:100]
    return rebuilt


def confirmed(values: Mapping[str, Any]) -> bool:
    """Did the person tick "Post anyway" in the form? (`values` as listeners.views reads them)"""
    ticked = values.get(CONFIRM_BLOCK)
    return isinstance(ticked, list) and "post_anyway" in ticked
