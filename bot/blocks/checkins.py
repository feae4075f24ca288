"""Check-in posts, the check-in form, and /checkin status."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.blocks.common import Block, actions, button, context, mention, modal, plain, section
from bot.blocks.home import WE_MET, GoalLine, goal_lines
from bot.blocks.pairs import slack_date
from bot.blocks.times import Zoned, day, when

FORM = "checkin_form"
OPEN_FORM = "checkin_open_form"
CHOOSE_PAIR = "checkin_choose_pair"
SNOOZE = "checkin_snooze"
FORM_FIELDS = ("mind", "questions", "challenges", "feedback")
FIELD_LABELS = {
    "mind": "What's on my mind",
    "questions": "Questions",
    "challenges": "Challenges",
    "feedback": "What I'd like feedback on",
}


@dataclass(frozen=True)
class Update:
    """What the mentee wrote — passed straight to Slack, never stored."""

    mind: str = ""
    questions: str = ""
    challenges: str = ""
    goals_moved: Sequence[GoalLine] = ()
    met_on: str | None = None
    feedback: str = ""  # "What I'd like feedback on"


def checkin_post(
    *, pair_id: int, mentee: str, mentor: str, update: Update
) -> tuple[str, list[Block]]:
    text = f"Check-in from {mention(mentee)}: {update.mind}".strip()
    # A section per part: each stays within Slack's 3,000 characters, so nothing is cut.
    blocks: list[Block] = [section(f":speech_balloon: *Check-in from {mention(mentee)}*")]
    if update.mind:
        blocks.append(section(update.mind))
    for field in ("questions", "challenges", "feedback"):
        value = getattr(update, field)
        if value:
            blocks.append(section(f"*{FIELD_LABELS[field]}*\n{value}"))
    if update.goals_moved:
        blocks.append(section("*Goals that moved*\n" + goal_lines(update.goals_moved)))
    if update.met_on:
        blocks.append(section(f":handshake: We met on {update.met_on}."))
    blocks.append(
        context(
            f"{mention(mentor)}, reply in this thread: that closes this check-in for both of "
            "you, so neither of you gets a reminder about it."
        )
    )
    blocks.append(
        actions(button("We met", WE_MET, str(pair_id)), block_id=f"checkin_post_{pair_id}")
    )
    return text[:3000], blocks


def choose_pair(
    *, choices: Sequence[tuple[int, str]], update: str, once: str
) -> tuple[str, list[Block]]:
    """Ask which space an update goes to; each button carries it. `once` marks this question,
    so a double click can be told from asking again."""
    text = "You have several mentors. Which check-in space should this update go to?"
    blocks: list[Block] = [section(text)]
    for pair_id, mentor in choices[:5]:
        choice = section(f"With {mention(mentor)}")
        choice["accessory"] = button(
            "Post here", CHOOSE_PAIR, json.dumps({"pair": pair_id, "text": update, "once": once})
        )
        blocks.append(choice)
    return text, blocks


def checkin_modal(
    *,
    pairs: Sequence[tuple[int, str]],
    goals: Sequence[GoalLine],
    chosen_pair: int | None = None,
    goal_choices: Sequence[tuple[str, str]] = (),
    initial: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """`pairs` are (pair id, mentor's display name); names only label options, never stored.
    With several pairs, `goal_choices` are (value, label) across all of them, so the form
    still asks which goals moved. `initial` prefills the text fields (an edit after the
    patient-information guard)."""
    blocks: list[Block] = []
    if len(pairs) > 1 and chosen_pair is None:
        blocks.append(
            {
                "type": "input",
                "block_id": "pair",
                "label": plain("Check in with"),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [
                        {"text": plain(name[:75]), "value": str(pair_id)}
                        for pair_id, name in pairs[:100]
                    ],
                },
            }
        )
    for field in FORM_FIELDS:
        blocks.append(
            {
                "type": "input",
                "block_id": field,
                "optional": True,
                "label": plain(FIELD_LABELS[field]),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 1000,
                    **(
                        {"initial_value": initial[field][:1000]}
                        if initial and initial.get(field)
                        else {}
                    ),
                },
            }
        )
    options = [
        {"text": plain(f"{goal.number}. {goal.text}"[:75]), "value": str(goal.number)}
        for goal in goals[:10]
    ] or [{"text": plain(label[:75]), "value": value} for value, label in goal_choices[:10]]
    if options:
        blocks.append(
            {
                "type": "input",
                "block_id": "goals",
                "optional": True,
                "label": plain("Goals that moved"),
                "element": {"type": "checkboxes", "action_id": "value", "options": options},
            }
        )
    blocks.append(
        {
            "type": "input",
            "block_id": "met",
            "optional": True,
            "label": plain("We met on"),
            "element": {"type": "datepicker", "action_id": "value"},
        }
    )
    blocks.append(
        context(
            "Your words go to your check-in space in Slack; Rounds stores only that you checked in."
        )
    )
    metadata = {
        "pair": chosen_pair
        if chosen_pair is not None
        else (pairs[0][0] if len(pairs) == 1 else None)
    }
    return modal(
        callback_id=FORM, title="Check in", submit="Post", blocks=blocks, metadata=metadata
    )


@dataclass(frozen=True)
class PairStatus:
    other: str
    viewer_is_mentee: bool
    state: str
    last_checkin: datetime | None
    next_nudge: datetime | None
    open_goals: Sequence[GoalLine]
    # Whose clocks the times are shown on: the reader's, and the other member's.
    viewer: Zoned | None = None
    other_zone: Zoned | None = None


def _day(item: PairStatus, moment: datetime) -> str:
    return slack_date(moment, with_time=False) if item.viewer is None else day(moment, item.viewer)


def _moment(item: PairStatus, moment: datetime) -> str:
    if item.viewer is None:
        return slack_date(moment)
    return when(moment, item.viewer, [item.other_zone] if item.other_zone else [])


def status(items: Sequence[PairStatus]) -> tuple[str, list[Block]]:
    if not items:
        text = (
            "You have no active pairs, so there is no check-in status yet. "
            "`/mentor help` shows how to start."
        )
        return text, [section(text)]
    blocks: list[Block] = []
    for item in items[:45]:
        who = (
            f"with your mentor {mention(item.other)}"
            if item.viewer_is_mentee
            else f"with your mentee {mention(item.other)}"
        )
        last = _day(item, item.last_checkin) if item.last_checkin else "none yet"
        if item.state == "paused":
            upcoming = "paused"
        else:
            upcoming = _moment(item, item.next_nudge) if item.next_nudge else "—"
        goals = goal_lines(item.open_goals) if item.open_goals else "_none_"
        blocks.append(
            section(
                f"*Check-ins {who}*\nLast complete check-in: {last}\n"
                f"Next nudge: {upcoming}\n*Open goals*\n{goals}"
            )
        )
    return "Your check-in status", blocks
