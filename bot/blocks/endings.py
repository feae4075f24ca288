"""Endings and what follows them: wrap-ups for both members, keeping in touch, catch-ups,
and past pairs shown as history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    Block,
    actions,
    button,
    context,
    divider,
    mention,
    section,
)
from bot.blocks.nudges import SEND_THANKS
from bot.blocks.pairs import END_CANCEL, END_CONFIRM, PairLine, pair_list, pair_summary, slack_date
from bot.blocks.times import Zoned, when, when_shared

KEEP_IN_TOUCH = "ending_keep_in_touch"
Message = tuple[str, list[Block]]

PAY_IT_FORWARD = (
    ":seedling: *Pay it forward.* When you're ready, mentor someone a few steps behind you: "
    "`/mentor offer <your topics>` puts you in the mentor directory, where students find "
    "mentors with `/mentor find`. For example: `/mentor offer Step 1 study plans, research`."
)
HOW_KEEPING_IN_TOUCH_WORKS = (
    "*Keep in touch*: when both of you choose it, Rounds posts a light catch-up in your "
    "check-in space every 6 months. Either of you can stop it with `/mentor end @other`."
)


@dataclass(frozen=True)
class Together:
    """A pair's summary, in counts: never what was said."""

    months: float
    checkins: int
    thanks: int


def _months(months: float) -> str:
    if months < 1:
        return "less than a month"
    shown = f"{months:.0f}" if months == int(months) or months >= 10 else f"{months:.1f}"
    return f"{shown} month" + ("" if shown == "1" else "s")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def together_line(together: Together, *, bold: str = "*") -> str:
    return (
        f"{bold}{_months(together.months)}{bold} together · "
        f"{bold}{_count(together.checkins, 'check-in')}{bold} completed · "
        f"{bold}{_count(together.thanks, 'thank-you note')}{bold} received"
    )


def _catch_up_time(moment: datetime, zones: Sequence[Zoned]) -> str:
    """On the reader's clock (`zones[0]`, with the other member's beside), saying so."""
    if not zones:
        return slack_date(moment)
    return when(moment, zones[0], zones[1:])


def kept_in_touch_line(
    *, kept: str, other: str, first_catch_up: datetime | None, zones: Sequence[Zoned] = ()
) -> str:
    """What a member sees after pressing "Keep in touch": `kept` is waiting or alumni.
    `zones`: the reader's, then the other member's."""
    if kept == "alumni":
        when = f", the first {_catch_up_time(first_catch_up, zones)}" if first_catch_up else ""
        return (
            f":white_check_mark: You and {mention(other)} are keeping in touch: a catch-up in "
            f"your check-in space every 6 months{when}."
        )
    return (
        f":white_check_mark: You'd like to keep in touch. Catch-ups start once {mention(other)} "
        "says yes too."
    )


def _keep_in_touch_part(
    *,
    pair_id: int,
    kept: str | None,
    other: str,
    first_catch_up: datetime | None,
    zones: Sequence[Zoned] = (),
) -> Block:
    if kept is None:
        return actions(
            button("Keep in touch", KEEP_IN_TOUCH, str(pair_id)),
            block_id=f"keep_in_touch_{pair_id}",
        )
    return context(
        kept_in_touch_line(kept=kept, other=other, first_catch_up=first_catch_up, zones=zones)
    )


def mentee_wrap_up(
    *,
    pair_id: int,
    mentor: str,
    kept: str | None = None,
    first_catch_up: datetime | None = None,
    zones: Sequence[Zoned] = (),
) -> Message:
    text = f":mortar_board: Your mentorship with {mention(mentor)} has ended in Rounds."
    blocks: list[Block] = [
        section(
            f"{text} Before you move on, thank them — a note about what you'll carry forward "
            "means a lot, and mentors rarely hear it."
        ),
        actions(
            button("Send thanks", SEND_THANKS, str(pair_id), style="primary"),
            block_id=f"wrap_up_thanks_{pair_id}",
        ),
        section(HOW_KEEPING_IN_TOUCH_WORKS),
        _keep_in_touch_part(
            pair_id=pair_id, kept=kept, other=mentor, first_catch_up=first_catch_up, zones=zones
        ),
        section(PAY_IT_FORWARD),
    ]
    return text, blocks


def mentor_wrap_up(
    *,
    pair_id: int,
    mentee: str,
    together: Together,
    kept: str | None = None,
    first_catch_up: datetime | None = None,
    zones: Sequence[Zoned] = (),
) -> Message:
    text = f":mortar_board: Thank you for mentoring {mention(mentee)}."
    return text, [
        section(
            f"{text} Your mentorship has ended in Rounds — thank you for the time and care "
            f"you gave.\n{together_line(together)}"
        ),
        section(HOW_KEEPING_IN_TOUCH_WORKS),
        _keep_in_touch_part(
            pair_id=pair_id, kept=kept, other=mentee, first_catch_up=first_catch_up, zones=zones
        ),
        context(
            "`/mentor record` lists every mentee you've had, with a CSV file for your promotion "
            "dossier."
        ),
    ]


def other_wants_to_keep_in_touch(*, who: str) -> Message:
    text = (
        f":wave: {mention(who)} would like to keep in touch. Press *Keep in touch* on your "
        "Rounds wrap-up (or on your Home tab) and Rounds will post a light catch-up in your "
        "check-in space every 6 months."
    )
    return text, [section(text)]


def now_alumni(
    *, mentee: str, mentor: str, first_catch_up: datetime, zones: Sequence[Zoned] = ()
) -> Message:
    """Posted in the space both read: each member's clock when `zones` are given."""
    first = when_shared(first_catch_up, zones) if zones else slack_date(first_catch_up)
    text = (
        f":handshake: {mention(mentee)} and {mention(mentor)}, you're keeping in touch. "
        f"Rounds will check in here every 6 months, the first time {first}."
    )
    return text, [
        section(text),
        context("Either of you can stop the catch-ups with `/mentor end @other`."),
    ]


def catch_up(*, mentee: str, mentor: str) -> Message:
    text = f":coffee: Six months on — how are things, {mention(mentee)} and {mention(mentor)}?"
    return text, [
        section(
            f"{text}\nNo agenda: a line about where you are now, something you're proud of, "
            f"or a question you've been saving. {mention(mentee)}, one sentence about how "
            f"{mention(mentor)}'s advice played out goes a long way."
        ),
        context(
            "You get this every 6 months because you both chose to keep in touch. "
            "Stop it with `/mentor end @other`."
        ),
    ]


def stop_catch_ups_confirmation(*, pair_id: int, label: str) -> Message:
    """`/mentor end` on an alumni pair: the mentorship ended before; this stops the catch-ups."""
    text = f"Stop the catch-ups with {label}?"
    return text, [
        section(
            f"{text} Your mentorship already ended; you've been keeping in touch. Rounds will "
            "post no more catch-ups — the history is kept, and the other person is told."
        ),
        actions(
            button("Stop catch-ups", END_CONFIRM, str(pair_id), style="danger"),
            button("Keep them", END_CANCEL, str(pair_id)),
            block_id=f"pair_end_{pair_id}",
        ),
    ]


def catch_ups_stopped(*, actor: str, other: str) -> Message:
    text = (
        f"{mention(actor)} stopped the Rounds catch-ups with {mention(other)}. "
        "The history stays; no more catch-ups will come."
    )
    return text, [section(text)]


# --- history ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PastGoal:
    number: int
    text: str
    status: str  # open, done, dropped


@dataclass(frozen=True)
class PastLine:
    pair_id: int
    role: str  # what the other member was to the viewer: "mentor" or "mentee"
    other: str
    state: str  # "alumni" or "ended"
    started: date  # in the viewer's zone
    ended: date | None
    together: Together
    next_catch_up: datetime | None = None
    goals: Sequence[PastGoal] = ()
    can_keep_in_touch: bool = False  # the viewer has not said yes, and still can
    waiting_for_other: bool = False  # the viewer said yes; the other has not
    zones: Sequence[Zoned] = ()  # the viewer's, then the other member's


GOAL_MARKS = {"done": ":white_check_mark:", "dropped": ":heavy_minus_sign:", "open": "•"}


def past_summary(line: PastLine) -> str:
    role = "your mentor" if line.role == "mentor" else "your mentee"
    ended = line.ended.isoformat() if line.ended else "—"
    parts = [f"*{mention(line.other)}* — {role} · {line.started.isoformat()} to {ended}"]
    if line.state == "alumni":
        catch = _catch_up_time(line.next_catch_up, line.zones) if line.next_catch_up else "—"
        parts.append(f":handshake: Keeping in touch — next catch-up {catch}")
    elif line.waiting_for_other:
        parts.append(f"Ended · you'd like to keep in touch; waiting for {mention(line.other)}")
    else:
        parts.append("Ended")
    parts.append(together_line(line.together, bold=""))
    return "\n".join(parts)


def _goal_lines(goals: Sequence[PastGoal], *, limit: int) -> str:
    lines = [f"{GOAL_MARKS.get(goal.status, '•')} {goal.text}" for goal in goals[:limit]]
    if len(goals) > limit:
        lines.append(f"…and {len(goals) - limit} more")
    return "\n".join(lines)


def past_pair_blocks(line: PastLine, *, goal_limit: int = 6) -> list[Block]:
    """One past pair on the Home tab: who, when, counts, its goals, Keep in touch."""
    text = past_summary(line)
    if line.goals:
        text += "\n*Goals*\n" + _goal_lines(line.goals, limit=goal_limit)
    blocks: list[Block] = [section(text)]
    if line.can_keep_in_touch:
        blocks.append(
            actions(
                button("Keep in touch", KEEP_IN_TOUCH, str(line.pair_id)),
                block_id=f"home_past_{line.pair_id}",
            )
        )
    return blocks


def past_section_lines(lines: Sequence[PastLine], *, limit: int) -> list[Block]:
    """Past pairs for `/mentor list`: a heading and a few compact sections."""
    if not lines:
        return []
    blocks: list[Block] = [section(f"*Past pairs ({len(lines)})*")]
    blocks.extend(section(past_summary(line)) for line in lines[:limit])
    if len(lines) > limit:
        blocks.append(context(f"…and {len(lines) - limit} more past pairs."))
    return blocks


PAST_IN_LIST = 10


def pair_list_with_past(
    lines: Sequence[PairLine], past: Sequence[PastLine]
) -> tuple[str, list[Block]]:
    """`/mentor list`: current pairs, then past ones (ended and alumni) as history."""
    if not past:
        return pair_list(lines)
    past_blocks = past_section_lines(past, limit=PAST_IN_LIST)
    if lines:
        text = f"Your pairs ({len(lines)})"
        room = MAX_MESSAGE_BLOCKS - len(past_blocks) - 3  # heading, "and more", divider
        blocks: list[Block] = [section(f"*{text}*")]
        blocks.extend(section(pair_summary(line)) for line in lines[:room])
        if len(lines) > room:
            blocks.append(context(f"…and {len(lines) - room} more."))
    else:
        text = "You have no current pairs"
        blocks = [
            section(
                f"{text}. Find a mentor with `/mentor find [topics]` or ask one with "
                "`/mentor request @mentor [note]`."
            )
        ]
    return text, [*blocks, divider(), *past_blocks]
