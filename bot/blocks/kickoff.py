"""The kick-off message in a new pair's check-in space."""

from __future__ import annotations

from bot.blocks.checkins import OPEN_FORM
from bot.blocks.common import Block, actions, button, context, mention, section
from bot.blocks.home import ADD_GOAL, WE_MET

Message = tuple[str, list[Block]]


def kick_off(*, pair_id: int, mentee: str, mentor: str, cadence: str) -> Message:
    text = (
        f":checkered_flag: Kick-off time, {mention(mentee)} and {mention(mentor)}! "
        "Good mentorships start with a few agreements."
    )
    agreements = (
        "Take ten minutes — here or on a call — and agree on three things:\n"
        f"1. *How often you'll meet.* Rounds nudges you {cadence}; change it with "
        "`/mentor cadence @other …`.\n"
        "2. *How to reach each other.* Slack, email, a call — and when is a bad time "
        "(clinic, OR days, exams)?\n"
        f"3. *What {mention(mentee)} hopes for.* Research, a specialty, the Match, "
        "getting through a hard rotation — say it out loud."
    )
    first_goals = (
        f"Then {mention(mentee)}, add your first goals (`/goal add …` or the button), and "
        "reply in this thread or press *We met* once you've talked — that completes your "
        "first check-in."
    )
    return text, [
        section(text),
        section(agreements),
        section(first_goals),
        actions(
            button("Add a goal", ADD_GOAL, str(pair_id), style="primary"),
            button("We met", WE_MET, str(pair_id)),
            button("Log a check-in", OPEN_FORM, str(pair_id)),
            block_id=f"kickoff_{pair_id}",
        ),
        context("Your words stay in Slack; Rounds only notes that you checked in."),
    ]
