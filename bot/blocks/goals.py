"""Goal lists and the goal forms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks.common import Block, button, context, mention, modal, plain, section
from bot.blocks.home import GoalLine, goal_lines

CHOOSE_PAIR = "goal_choose_pair"
ADD_FORM = "goal_add_form"
MAX_BUTTONS = 5


@dataclass(frozen=True)
class PairGoals:
    mentee: str
    mentor: str
    viewer_is_mentee: bool
    open: Sequence[GoalLine]
    recently_done: Sequence[GoalLine]


def goal_list(groups: Sequence[PairGoals]) -> tuple[str, list[Block]]:
    if not groups:
        text = (
            "You have no goals to show yet. Goals belong to a mentee and their mentor: once you "
            "are paired, add one with `/goal add <text> [by YYYY-MM-DD]`."
        )
        return text, [section(text)]
    blocks: list[Block] = []
    for group in groups[:20]:
        if group.viewer_is_mentee:
            title = f"*Your goals with {mention(group.mentor)}*"
        else:
            title = f"*{mention(group.mentee)}'s goals* (you mentor them)"
        body = goal_lines(group.open, limit=25) if group.open else "_No open goals._"
        if group.recently_done:
            done = "\n".join(
                f"~{goal.number}. {goal.text}~ :white_check_mark:"
                for goal in group.recently_done[:15]
            )
            body += f"\n*Done in the last 90 days*\n{done}"
        blocks.append(section(f"{title}\n{body}"))
    blocks.append(context("`/goal done <n>` marks goal n done; `/goal drop <n>` drops it."))
    return "Your goals", blocks


def choose_pair(
    *, choices: Sequence[tuple[int, str]], payload: dict[str, object], once: str
) -> tuple[str, list[Block]]:
    """Ask which mentor a goal is for; each button carries the goal (Rounds keeps nothing yet).
    `once` marks this question, so a double click can be told from asking again."""
    text = "You have several mentors. Which one is this goal for?"
    blocks: list[Block] = [section(text)]
    for pair_id, mentor in choices[:MAX_BUTTONS]:
        choice = section(mention(mentor))
        choice["accessory"] = button(
            "This one", CHOOSE_PAIR, json.dumps({**payload, "pair": pair_id, "once": once})
        )
        blocks.append(choice)
    return text, blocks


def add_goal_modal(*, pair_id: int, mentor: str) -> dict[str, object]:
    return modal(
        callback_id=ADD_FORM,
        title="Add a goal",
        submit="Add",
        metadata={"pair": pair_id},
        blocks=[
            context(f"A goal you and {mention(mentor)} will both see."),
            {
                "type": "input",
                "block_id": "text",
                "label": plain("Goal"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "max_length": 300,
                    "placeholder": plain("e.g. Draft my personal statement"),
                },
            },
            {
                "type": "input",
                "block_id": "due",
                "optional": True,
                "label": plain("By when"),
                "element": {"type": "datepicker", "action_id": "value"},
            },
        ],
    )


CHOOSE_GOAL = "goal_choose_to_close"


def choose_goal(
    *, number: int, verb: str, choices: Sequence[tuple[int, str]]
) -> tuple[str, list[Block]]:
    """Goal `number` exists with several mentors: which one? Each button names one goal."""
    text = f"You have a goal {number} with several mentors. Which one is {verb}?"
    blocks: list[Block] = [section(text)]
    for goal_id, mentor in choices[:MAX_BUTTONS]:
        choice = section(f"Goal {number} with {mention(mentor)}")
        choice["accessory"] = button(
            "This one", CHOOSE_GOAL, json.dumps({"goal": goal_id, "verb": verb})
        )
        blocks.append(choice)
    blocks.append(context(f"Next time: `/goal {verb} {number} for @mentor`."))
    return text, blocks
