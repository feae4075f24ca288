"""The Home tab's forms for a pair: rhythm, pause and end — with user, date and time pickers."""

from __future__ import annotations

from datetime import date, time

from bot.blocks.common import Block, context, mention, modal, plain, section

RHYTHM_FORM = "home_rhythm_form"
PAUSE_FORM = "home_pause_form"
END_FORM = "home_end_form"
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
FREQUENCIES = (
    [("w1", "Weekly")] + [(f"w{n}", f"Every {n} weeks") for n in range(2, 9)] + [("m1", "Monthly")]
)


def _option(value: str, label: str) -> dict[str, object]:
    return {"text": plain(label), "value": value}


def _who(other: str, label: str) -> Block:
    return {
        "type": "input",
        "block_id": "who",
        "label": plain(label),
        "element": {"type": "users_select", "action_id": "value", "initial_user": other},
    }


def rhythm_form(
    *,
    pair_id: int,
    other: str,
    mentee: str,
    mentee_tz: str,
    frequency: str,
    weekday: int,
    at: time,
    hours_text: str,
) -> dict[str, object]:
    """`frequency` is one of FREQUENCIES' values; the time is on the mentee's clock."""
    labels = dict(FREQUENCIES)
    blocks: list[Block] = [
        _who(other, "With"),
        {
            "type": "input",
            "block_id": "every",
            "label": plain("How often"),
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": [_option(value, label) for value, label in FREQUENCIES],
                "initial_option": _option(frequency, labels[frequency]),
            },
        },
        {
            "type": "input",
            "block_id": "weekday",
            "label": plain("On"),
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": [_option(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)],
                "initial_option": _option(str(weekday), WEEKDAY_NAMES[weekday]),
            },
        },
        {
            "type": "input",
            "block_id": "at",
            "label": plain("At"),
            "element": {
                "type": "timepicker",
                "action_id": "value",
                "initial_time": f"{at:%H:%M}",
                "timezone": mentee_tz,
            },
        },
        context(
            f"The time is on {mention(mentee)}'s clock ({mentee_tz}): prompts follow the "
            f"mentee's zone, moved inside both of your working hours ({hours_text})."
        ),
    ]
    return modal(
        callback_id=RHYTHM_FORM,
        title="Check-in rhythm",
        submit="Save",
        blocks=blocks,
        metadata={"pair": pair_id},
    )


def pause_form(*, pair_id: int, other: str, until: date) -> dict[str, object]:
    blocks: list[Block] = [
        _who(other, "Pause check-ins with"),
        {
            "type": "input",
            "block_id": "until",
            "label": plain("No nudges until"),
            "element": {
                "type": "datepicker",
                "action_id": "value",
                "initial_date": until.isoformat(),
            },
        },
        {
            "type": "input",
            "block_id": "reason",
            "optional": True,
            "label": plain("Reason (optional)"),
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "max_length": 200,
                "placeholder": plain("e.g. ICU nights"),
            },
        },
        context(f"{mention(other)} is told, with your reason; Rounds does not keep the reason."),
    ]
    return modal(
        callback_id=PAUSE_FORM,
        title="Pause",
        submit="Pause",
        blocks=blocks,
        metadata={"pair": pair_id},
    )


def end_form(*, pair_id: int, other: str) -> dict[str, object]:
    blocks: list[Block] = [
        _who(other, "End the pair with"),
        section(
            "Rounds stops all nudges for the pair; the history is kept and both of you are told."
        ),
    ]
    return modal(
        callback_id=END_FORM,
        title="End the pair",
        submit="End the pair",
        blocks=blocks,
        metadata={"pair": pair_id},
    )
