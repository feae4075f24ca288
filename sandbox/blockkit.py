"""Block Kit as HTML, and the HTML form back into what Slack sends for it.

Messages, the Home tab and modals are drawn from the blocks Rounds sent, so what the page shows
is what Rounds built: sections (text, fields, accessory), context, actions, header, divider,
image, rich text, and inputs with text, number, date, time, date-time, select, user select,
conversation select, checkbox, radio and file elements. A block the sandbox cannot draw says
so on the page rather than vanishing.

Every interactive element becomes a form field named `f:<block_id>:<action_id>`; pressing a
button submits `_action`, a JSON [block_id,
action_id] (a menu outside an input block sends the same as `_changed`, set by
sandbox.js). `state_values` and `action_payload` turn the submitted form into Slack's
`view.state.values` and `actions[0]`, reading options and button values from the blocks
themselves, never from the browser.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.mrkdwn import Reader, plain, to_html

Block = dict[str, Any]
Element = dict[str, Any]

# Elements whose value lives in view.state (Slack's "stateful" elements).
STATEFUL = frozenset(
    {
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "static_select",
        "external_select",
        "multi_static_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
        "file_input",
    }
)
REQUIRED_MESSAGE = "Please fill out this field."


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str


@dataclass
class FormData:
    """A submitted HTML form: every value of every field, and uploaded files."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[Upload]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        values = self.fields.get(name) or [""]
        return values[0]

    def all(self, name: str) -> list[str]:
        return [value for value in self.fields.get(name, []) if value != ""]


@dataclass
class Surface:
    """Who looks at the blocks, and what they can pick from."""

    reader: Reader
    people: list[tuple[str, str]] = field(default_factory=list)  # (user ID, name)
    conversations: list[tuple[str, str]] = field(default_factory=list)  # (ID, label)
    errors: Mapping[str, str] = field(default_factory=dict)  # block_id → message


def field_name(block_id: str, action_id: str) -> str:
    return f"f:{block_id}:{action_id}"


def elements(blocks: list[Block]) -> Iterator[tuple[str, str, Element, Block]]:
    """(block_id, action_id, element, block) of every interactive element, with the IDs Slack
    would assign where the app gave none."""
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id") or f"b{index}")
        found: list[Element] = []
        if block.get("type") == "input" and isinstance(block.get("element"), dict):
            found = [block["element"]]
        elif block.get("type") == "actions":
            found = [e for e in block.get("elements") or [] if isinstance(e, dict)]
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            found = [block["accessory"]]
        for number, element in enumerate(found):
            action_id = str(element.get("action_id") or f"a{index}_{number}")
            yield block_id, action_id, element, block


# --- blocks → HTML ----------------------------------------------------------------------------


def text_html(text: Any, reader: Reader) -> str:
    """A Block Kit text object (mrkdwn or plain_text) as safe HTML."""
    if isinstance(text, str):
        return to_html(text, reader)
    if not isinstance(text, dict):
        return ""
    if text.get("type") == "mrkdwn":
        return to_html(str(text.get("text", "")), reader)
    return plain(str(text.get("text", "")), with_emoji=bool(text.get("emoji", True))).replace(
        "\n", "<br>"
    )


def _plain_text(text: Any) -> str:
    if isinstance(text, dict):
        return str(text.get("text", ""))
    return str(text or "")


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def blocks_html(blocks: list[Block] | None, surface: Surface) -> str:
    if not blocks:
        return ""
    # Element IDs come from elements() alone, so drawing and reading a form agree.
    by_block: dict[int, list[tuple[str, str, Element]]] = {}
    for block_id, action_id, element, block in elements(blocks):
        by_block.setdefault(id(block), []).append((block_id, action_id, element))
    out: list[str] = []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id") or f"b{index}")
        out.append(_block(block, block_id, by_block.get(id(block), []), surface))
    return "\n".join(out)


def _block(
    block: Block, block_id: str, interactive: list[tuple[str, str, Element]], surface: Surface
) -> str:
    kind = block.get("type")
    reader = surface.reader
    if kind == "section":
        parts = []
        if block.get("text"):
            parts.append(f'<div class="mrkdwn">{text_html(block["text"], reader)}</div>')
        if block.get("fields"):
            cells = "".join(f"<div>{text_html(f, reader)}</div>" for f in block["fields"])
            parts.append(f'<div class="fields">{cells}</div>')
        accessory = "".join(
            f'<div class="accessory">{_element(e, b, a, surface, autosubmit=True)}</div>'
            for b, a, e in interactive
        )
        return (
            f'<div class="block section"><div class="body">{"".join(parts)}</div>{accessory}</div>'
        )
    if kind == "context":
        items = []
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") == "image":
                alt = html.escape(str(element.get("alt_text", "image")))
                items.append(f'<span class="image">[{alt}]</span>')
            else:
                items.append(f"<span>{text_html(element, reader)}</span>")
        return f'<div class="block context">{" ".join(items)}</div>'
    if kind == "actions":
        controls = " ".join(_element(e, b, a, surface, autosubmit=True) for b, a, e in interactive)
        return f'<div class="block actions">{controls}</div>'
    if kind == "header":
        return f'<h3 class="block header">{text_html(block.get("text"), reader)}</h3>'
    if kind == "divider":
        return '<hr class="block divider">'
    if kind == "image":
        title = text_html(block.get("title"), reader) if block.get("title") else ""
        alt = html.escape(str(block.get("alt_text", "image")))
        return f'<figure class="block image">[{alt}]<figcaption>{title}</figcaption></figure>'
    if kind == "rich_text":
        return f'<div class="block rich-text">{html.escape(_rich_text(block))}</div>'
    if kind == "input":
        return _input_block(block, block_id, interactive, surface)
    return (
        f'<div class="block unsupported">The sandbox cannot draw a “{html.escape(str(kind))}” '
        "block; Slack would show it here.</div>"
    )


def _rich_text(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        if node.get("type") == "user":
            return f"@{node.get('user_id', '')}"
        if node.get("type") == "link":
            return str(node.get("text") or node.get("url", ""))
        if node.get("type") == "emoji":
            return f":{node.get('name', '')}:"
        return "".join(_rich_text(child) for child in node.get("elements") or [])
    if isinstance(node, list):
        return "".join(_rich_text(child) for child in node)
    return ""


def _input_block(
    block: Block, block_id: str, interactive: list[tuple[str, str, Element]], surface: Surface
) -> str:
    label = text_html(block.get("label"), surface.reader)
    optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
    control = "".join(
        _element(e, b, a, surface, required=not block.get("optional"), autosubmit=False)
        for b, a, e in interactive
    )
    hint = (
        f'<div class="hint">{text_html(block["hint"], surface.reader)}</div>'
        if block.get("hint")
        else ""
    )
    error = surface.errors.get(block_id)
    error_html = f'<div class="error" role="alert">{html.escape(error)}</div>' if error else ""
    css = "block input has-error" if error else "block input"
    return (
        f'<div class="{css}" data-block-id="{_attr(block_id)}">'
        f'<label class="label">{label}{optional}</label>{control}{hint}{error_html}</div>'
    )


def _options(element: Element) -> list[dict[str, Any]]:
    found = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            found += [o for o in group.get("options") or [] if isinstance(o, dict)]
    return found


def _element(
    element: Element,
    block_id: str,
    action_id: str,
    surface: Surface,
    *,
    required: bool = False,
    autosubmit: bool,
) -> str:
    """One interactive element. Outside input blocks a change is an action at once."""
    kind = str(element.get("type", ""))
    name = _attr(field_name(block_id, action_id))
    action = _attr(json.dumps([block_id, action_id]))
    trigger = f' data-action="{action}" data-autosubmit' if autosubmit else ""
    need = " required" if required else ""
    placeholder = _plain_text(element.get("placeholder"))
    if kind == "button":
        style = str(element.get("style") or "")
        label = text_html(element.get("text"), surface.reader)
        url = str(element.get("url") or "")
        if url.startswith(("https://", "http://")):
            return (
                f'<a class="btn {_attr(style)}" href="{_attr(url)}" target="_blank" '
                f'rel="noopener noreferrer">{label}</a>'
            )
        confirm = ""
        if isinstance(element.get("confirm"), dict):
            dialog = element["confirm"]
            question = f"{_plain_text(dialog.get('title'))}\n\n{_plain_text(dialog.get('text'))}"
            confirm = f' data-confirm="{_attr(question.strip())}"'
        return (
            f'<button type="submit" class="btn {_attr(style)}" name="_action" '
            f'value="{action}"{confirm}>{label}</button>'
        )
    if kind in {"static_select", "external_select", "overflow", "multi_static_select"}:
        multiple = " multiple" if kind.startswith("multi_") else ""
        initial = element.get("initial_options") or [element.get("initial_option")]
        chosen = {str(o.get("value")) for o in initial if isinstance(o, dict)}
        items = [f'<option value="">{html.escape(placeholder or "Choose…")}</option>']
        items += [
            f'<option value="{_attr(str(o.get("value", "")))}"'
            f"{' selected' if str(o.get('value')) in chosen else ''}>"
            f"{html.escape(_plain_text(o.get('text')))}</option>"
            for o in _options(element)
        ]
        if multiple:
            items = items[1:]
        return f'<select name="{name}"{multiple}{need}{trigger}>{"".join(items)}</select>'
    if kind in {"users_select", "multi_users_select"}:
        initial = element.get("initial_users") or [element.get("initial_user")]
        return _choice_list(kind, name, need, trigger, placeholder, surface.people, initial)
    if kind in {
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }:
        initial = (
            element.get("initial_conversations")
            or element.get("initial_channels")
            or [element.get("initial_conversation") or element.get("initial_channel")]
        )
        return _choice_list(kind, name, need, trigger, placeholder, surface.conversations, initial)
    if kind == "datepicker":
        value = _attr(str(element.get("initial_date") or ""))
        return f'<input type="date" name="{name}" value="{value}"{need}{trigger}>'
    if kind == "timepicker":
        value = _attr(str(element.get("initial_time") or ""))
        return f'<input type="time" name="{name}" value="{value}"{need}{trigger}>'
    if kind == "datetimepicker":
        value = ""
        if isinstance(element.get("initial_date_time"), int):
            local = datetime.fromtimestamp(
                element["initial_date_time"], ZoneInfo(surface.reader.zone)
            )
            value = local.strftime("%Y-%m-%dT%H:%M")
        return f'<input type="datetime-local" name="{name}" value="{value}"{need}{trigger}>'
    if kind in {"checkboxes", "radio_buttons"}:
        input_type = "checkbox" if kind == "checkboxes" else "radio"
        initial = element.get("initial_options") or [element.get("initial_option")]
        chosen = {str(o.get("value")) for o in initial if isinstance(o, dict)}
        rows = []
        for option in _options(element):
            value = str(option.get("value", ""))
            checked = " checked" if value in chosen else ""
            description = (
                f'<span class="hint">{text_html(option["description"], surface.reader)}</span>'
                if option.get("description")
                else ""
            )
            rows.append(
                f'<label class="choice"><input type="{input_type}" name="{name}" '
                f'value="{_attr(value)}"{checked}{trigger}> '
                f"{text_html(option.get('text'), surface.reader)}{description}</label>"
            )
        return f'<div class="choices">{"".join(rows)}</div>'
    if kind == "file_input":
        accept = ",".join(f".{t}" for t in element.get("filetypes") or [])
        accept_attr = f' accept="{_attr(accept)}"' if accept else ""
        multiple = " multiple" if int(element.get("max_files") or 10) > 1 else ""
        return f'<input type="file" name="{name}"{accept_attr}{multiple}{need}>'
    if kind in {"plain_text_input", "email_text_input", "url_text_input", "number_input"}:
        initial = _attr(str(element.get("initial_value") or ""))
        limits = ""
        if element.get("max_length"):
            limits += f' maxlength="{int(element["max_length"])}"'
        if element.get("min_length"):
            limits += f' minlength="{int(element["min_length"])}"'
        hint = f' placeholder="{_attr(placeholder)}"' if placeholder else ""
        if kind == "plain_text_input" and element.get("multiline"):
            return f'<textarea name="{name}" rows="3"{limits}{hint}{need}>{initial}</textarea>'
        input_type = {
            "email_text_input": "email",
            "url_text_input": "url",
            "number_input": "number",
        }.get(kind, "text")
        if kind == "number_input" and element.get("is_decimal_allowed"):
            limits += ' step="any"'
        return f'<input type="{input_type}" name="{name}" value="{initial}"{limits}{hint}{need}>'
    if kind == "rich_text_input":
        return f'<textarea name="{name}" rows="3"{need}></textarea>'
    if kind == "image":
        return f'<span class="image">[{html.escape(str(element.get("alt_text", "image")))}]</span>'
    return f'<span class="unsupported">[{html.escape(kind)} element]</span>'


def _choice_list(
    kind: str,
    name: str,
    need: str,
    trigger: str,
    placeholder: str,
    choices: list[tuple[str, str]],
    initial: list[Any],
) -> str:
    multiple = " multiple" if kind.startswith("multi_") else ""
    chosen = {str(value) for value in initial if value}
    items = (
        [] if multiple else [f'<option value="">{html.escape(placeholder or "Choose…")}</option>']
    )
    items += [
        f'<option value="{_attr(value)}"{" selected" if value in chosen else ""}>'
        f"{html.escape(label)}</option>"
        for value, label in choices
    ]
    return f'<select name="{name}"{multiple}{need}{trigger}>{"".join(items)}</select>'


# --- HTML form → Slack's payloads ------------------------------------------------------------

FileStore = Callable[[Upload], dict[str, Any]]


def _element_state(
    element: Element, name: str, form: FormData, zone: str, store_file: FileStore | None
) -> dict[str, Any]:
    """The value of one element as Slack puts it in state.values (and in an action)."""
    kind = str(element.get("type", ""))
    state: dict[str, Any] = {"type": kind}
    options = {str(o.get("value")): o for o in _options(element)}
    values = form.all(name)
    single = values[0] if values else None
    if kind in {"static_select", "external_select", "radio_buttons", "overflow"}:
        state["selected_option"] = options.get(single) if single is not None else None
    elif kind in {"multi_static_select", "checkboxes"}:
        state["selected_options"] = [options[v] for v in values if v in options]
    elif kind == "users_select":
        state["selected_user"] = single
    elif kind == "multi_users_select":
        state["selected_users"] = values
    elif kind == "conversations_select":
        state["selected_conversation"] = single
    elif kind == "multi_conversations_select":
        state["selected_conversations"] = values
    elif kind == "channels_select":
        state["selected_channel"] = single
    elif kind == "multi_channels_select":
        state["selected_channels"] = values
    elif kind == "datepicker":
        state["selected_date"] = single
    elif kind == "timepicker":
        state["selected_time"] = single
        state["timezone"] = zone
    elif kind == "datetimepicker":
        state["selected_date_time"] = (
            int(datetime.fromisoformat(single).replace(tzinfo=ZoneInfo(zone)).timestamp())
            if single
            else None
        )
    elif kind == "file_input":
        uploads = [u for u in form.files.get(name, []) if u.filename]
        state["files"] = [store_file(u) for u in uploads] if store_file else []
    elif kind == "rich_text_input":
        state["rich_text_value"] = {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": single or ""}]}
            ],
        }
    else:
        state["value"] = single
    return state


def _is_empty(state: dict[str, Any]) -> bool:
    meaningful = [v for k, v in state.items() if k not in {"type", "timezone"}]
    return all(v in (None, "", []) for v in meaningful)


def state_values(
    blocks: list[Block],
    form: FormData,
    *,
    zone: str,
    store_file: FileStore | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Slack's view.state.values for a submitted form, and the errors Slack's own client shows
    before anything is sent (a required input left empty)."""
    values: dict[str, dict[str, Any]] = {}
    missing: dict[str, str] = {}
    for block_id, action_id, element, block in elements(blocks):
        if element.get("type") not in STATEFUL:
            continue
        state = _element_state(element, field_name(block_id, action_id), form, zone, store_file)
        values.setdefault(block_id, {})[action_id] = state
        if block.get("type") == "input" and not block.get("optional") and _is_empty(state):
            missing[block_id] = REQUIRED_MESSAGE
    return values, missing


# state.values key → the field that shows it again, for the same element type.
_REFILL = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
}


def with_values(blocks: list[Block], values: Mapping[str, Mapping[str, Any]]) -> list[Block]:
    """The blocks with what the person had entered shown again, as Slack keeps a modal's input
    when the app answers with errors. Files cannot be handed back to a browser."""
    refilled = copy.deepcopy(blocks)
    for block_id, action_id, element, _ in elements(refilled):
        state = values.get(block_id, {}).get(action_id)
        if not isinstance(state, dict) or state.get("type") != element.get("type"):
            continue
        for key, initial in _REFILL.items():
            if key in state:
                if state[key] in (None, "", []):
                    element.pop(initial, None)
                else:
                    element[initial] = state[key]
    return refilled


def action_payload(
    blocks: list[Block], pressed: str, form: FormData, *, zone: str
) -> dict[str, Any] | None:
    """actions[0] of a block_actions request for the element named by `_action`."""
    try:
        block_id, action_id = json.loads(pressed)
    except (ValueError, TypeError):
        return None
    for found_block, found_action, element, _ in elements(blocks):
        if (found_block, found_action) != (block_id, action_id):
            continue
        kind = str(element.get("type", ""))
        action: dict[str, Any] = {"block_id": block_id, "action_id": action_id}
        if kind == "button":
            action.update(type="button", text=element.get("text"))
            if "value" in element:
                action["value"] = element["value"]
            if element.get("style"):
                action["style"] = element["style"]
            return action
        name = field_name(block_id, action_id)
        action.update(_element_state(element, name, form, zone, None))
        return action
    return None
