"""The App Home tab."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.blocks.common import Block, actions, button, context, divider, header, mention, section
from bot.blocks.pairs import PairLine, pair_summary, slack_date
from bot.blocks.program import attention_blocks, tools_blocks
from bot.blocks.times import Zoned, day
from bot.domain.program.attention import Attention, Reason

CHECKIN = "home_checkin"
ADD_GOAL = "home_add_goal"
WE_MET = "checkin_we_met"
RHYTHM = "home_rhythm"
PAUSE = "home_pause"
RESUME = "home_resume"
END = "home_end"
VIEW_LIMIT = 100
MAX_PAIRS_SHOWN = 12


@dataclass(frozen=True)
class GoalLine:
    number: int
    text: str
    due_on: str | None


@dataclass(frozen=True)
class HomePair:
    pair_id: int
    line: PairLine
    open_goals: Sequence[GoalLine] = ()


@dataclass(frozen=True)
class RecentCheckIn:
    when: datetime
    other: str
    complete: bool


@dataclass(frozen=True)
class Program:
    active: int
    paused: int
    pending: int
    checkins_last_30_days: int
    going_cold: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (mentee, mentor)
    attention: Attention | None = None


def goal_lines(goals: Sequence[GoalLine], *, limit: int = 8) -> str:
    lines = []
    for goal in goals[:limit]:
        due = f" _(by {goal.due_on})_" if goal.due_on else ""
        lines.append(f"{goal.number}. {goal.text}{due}")
    if len(goals) > limit:
        lines.append(f"…and {len(goals) - limit} more (`/goal list`)")
    return "\n".join(lines)


def _pair_blocks(pair: HomePair) -> list[Block]:
    text = pair_summary(pair.line)
    if pair.open_goals:
        text += "\n*Open goals*\n" + goal_lines(pair.open_goals)
    elif pair.line.state != "pending":
        text += "\n_No open goals yet._"
    blocks: list[Block] = [section(text)]
    if pair.line.state in {"active", "paused"}:
        buttons = []
        if pair.line.role == "mentor":  # the viewer is the mentee
            buttons.append(button("Check in", CHECKIN, str(pair.pair_id), style="primary"))
            buttons.append(button("Add a goal", ADD_GOAL, str(pair.pair_id)))
        buttons.append(button("We met", WE_MET, str(pair.pair_id)))
        # Rhythm, pause and end through forms with user, date and time pickers.
        buttons.append(button("Rhythm", RHYTHM, str(pair.pair_id)))
        if pair.line.state == "paused":
            buttons.append(button("Resume", RESUME, str(pair.pair_id)))
        else:
            buttons.append(button("Pause", PAUSE, str(pair.pair_id)))
        buttons.append(button("End", END, str(pair.pair_id)))
        blocks.append(actions(*buttons, block_id=f"home_pair_{pair.pair_id}"))
    return blocks


def home_view(
    *,
    pairs: Sequence[HomePair],
    recent: Sequence[RecentCheckIn],
    program: Program | None,
    history: Sequence[Block] = (),
    directory: Sequence[Block] = (),
    viewer: Zoned | None = None,
) -> dict[str, object]:
    """`history` (past pairs) and `directory` (the mentor pool, for coordinators) come built."""
    blocks: list[Block] = [header("Your mentorship")]
    if not pairs and program is not None:
        # A coordinator runs the program; nobody tells them to go and find a mentor.
        blocks.append(
            section(
                "You coordinate the program: it is below, and your own pairs would show here "
                "— you have no mentorship pairs of your own. `/mentor help`"
            )
        )
    elif not pairs and history:
        blocks.append(
            section(
                "You have no current pairs. `/mentor find [topics]` shows mentors with open "
                "seats; `/mentor help` shows everything Rounds can do."
            )
        )
    elif not pairs:
        blocks.append(
            section(
                "You have no pairs yet. Ask someone to mentor you with "
                "`/mentor request @mentor [note]`, or ask your coordinator to pair you. "
                "`/mentor help` shows everything Rounds can do."
            )
        )
    for pair in pairs[:MAX_PAIRS_SHOWN]:
        blocks.append(divider())
        blocks.extend(_pair_blocks(pair))
    if len(pairs) > MAX_PAIRS_SHOWN:
        blocks.append(context(f"…and {len(pairs) - MAX_PAIRS_SHOWN} more: `/mentor list`."))
    if recent:
        blocks.append(divider())
        lines = [
            f"{day(item.when, viewer) if viewer else slack_date(item.when, with_time=False)}"
            f" — with {mention(item.other)}: "
            + ("complete :white_check_mark:" if item.complete else "waiting for a reply")
            for item in recent
        ]
        blocks.append(section("*Recent check-ins*\n" + "\n".join(lines)))
    blocks.extend(history)
    if program is not None:
        blocks.append(divider())
        blocks.append(header("Program summary"))
        cold_count = (
            program.attention.counts.get(Reason.GOING_COLD, 0)
            if program.attention is not None
            else len(program.going_cold)
        )
        blocks.append(
            section(
                f"*Active pairs:* {program.active}   *Paused:* {program.paused}   "
                f"*Waiting for consent:* {program.pending}\n"
                f"*Check-ins completed in the last 30 days:* {program.checkins_last_30_days}\n"
                f"*Going cold:* {cold_count}"
            )
        )
        if program.attention is not None:
            tools = tools_blocks()
            budget = VIEW_LIMIT - len(blocks) - len(tools) - len(directory) - 1
            blocks.extend(attention_blocks(program.attention, budget=budget, viewer=viewer))
            blocks.extend(tools)
        elif program.going_cold:
            cold = [
                f"• {mention(mentee)} with {mention(mentor)}"
                for mentee, mentor in program.going_cold[:20]
            ]
            if len(program.going_cold) > 20:
                cold.append(f"…and {len(program.going_cold) - 20} more")
            blocks.append(
                section(
                    ":snowflake: *Going cold* (two prompts in a row unanswered)\n" + "\n".join(cold)
                )
            )
        blocks.extend(directory)
    blocks.append(
        context("`/mentor help` lists every command. Rounds never stores what you write.")
    )
    return {"type": "home", "blocks": blocks[:VIEW_LIMIT]}
