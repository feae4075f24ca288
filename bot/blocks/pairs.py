"""Messages about pairs: the request DM, welcome, list, confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.blocks.common import Block, actions, button, context, mention, section
from bot.blocks.times import Zoned, day, when

ACCEPT = "pair_accept"
DECLINE = "pair_decline"
END_CONFIRM = "pair_end_confirm"
END_CANCEL = "pair_end_cancel"


def slack_date(moment: datetime, *, with_time: bool = True) -> str:
    """A time Slack renders in each reader's own zone, with a UTC fallback."""
    token = "{date_short_pretty} at {time}" if with_time else "{date_short_pretty}"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC" if with_time else "%Y-%m-%d")
    return f"<!date^{int(moment.timestamp())}^{token}|{fallback}>"


def request_dm(*, pair_id: int, mentee: str, note: str) -> tuple[str, list[Block]]:
    text = f"{mention(mentee)} would like you to be their mentor."
    blocks: list[Block] = [section(f":wave: {text}")]
    if note:
        quoted = "\n".join(f">{line}" for line in note.splitlines())
        blocks.append(section(f"Their note:\n{quoted}"))
    blocks.append(
        context(
            "If you accept, Rounds opens a group DM for the two of you and nudges you to check "
            "in every 2 weeks (you can change that). You can end it any time."
        )
    )
    blocks.append(
        actions(
            button("Accept", ACCEPT, str(pair_id), style="primary"),
            button("Decline", DECLINE, str(pair_id)),
            block_id=f"pair_request_{pair_id}",
        )
    )
    return text, blocks


def request_answered(*, mentee: str, accepted: bool) -> tuple[str, list[Block]]:
    if accepted:
        text = f":white_check_mark: You accepted {mention(mentee)} as your mentee. Welcome aboard!"
    else:
        text = f"You declined {mention(mentee)}'s request. They have been told, kindly."
    return text, [section(text)]


def welcome(*, mentee: str, mentor: str, cadence: str) -> tuple[str, list[Block]]:
    text = (
        f":handshake: Welcome, {mention(mentee)} and {mention(mentor)}! "
        "This is your check-in space."
    )
    blocks = [
        section(text),
        section(
            "*A good start:* agree on what you want from this mentorship and how you'll work "
            "together — goals for the next few months, how often to meet, and the best way to "
            "reach each other.\n"
            f"• {mention(mentee)}: add your goals with `/goal add …` so both of you can see them.\n"
            f"• Rounds will nudge you here {cadence}; change it with `/mentor cadence`.\n"
            "• Check in any time with `/checkin <update>`; replies go in the thread."
        ),
    ]
    return text, blocks


@dataclass(frozen=True)
class PairLine:
    role: str  # "mentor" (they are your mentor) or "mentee"
    other: str
    state: str
    cadence: str
    last_checkin: datetime | None
    next_nudge: datetime | None
    paused_until: str | None = None
    going_cold: bool = False
    # Whose clocks the times are shown on: the reader's own, and the other member's.
    viewer: Zoned | None = None
    other_zone: Zoned | None = None


def _shown_time(line: PairLine, moment: datetime) -> str:
    if line.viewer is None:
        return slack_date(moment)
    return when(moment, line.viewer, [line.other_zone] if line.other_zone else [])


def _shown_day(line: PairLine, moment: datetime) -> str:
    return slack_date(moment, with_time=False) if line.viewer is None else day(moment, line.viewer)


def pair_summary(line: PairLine) -> str:
    role = "your mentor" if line.role == "mentor" else "your mentee"
    state = line.state
    if line.paused_until:
        state = f"paused until {line.paused_until}"
    elif line.state == "pending":
        state = "waiting for the mentor's answer"
    parts = [f"*{mention(line.other)}* — {role} · {state}"]
    if line.state != "pending":
        parts.append(f"Rhythm: {line.cadence}")
        last = _shown_day(line, line.last_checkin) if line.last_checkin else "none yet"
        parts.append(f"Last check-in: {last}")
        nudge = _shown_time(line, line.next_nudge) if line.next_nudge else "—"
        parts.append(f"Next nudge: {nudge}")
    if line.going_cold:
        parts.append(":snowflake: going cold — two prompts in a row went unanswered")
    return "\n".join(parts)


def pair_list(lines: Sequence[PairLine]) -> tuple[str, list[Block]]:
    if not lines:
        text = (
            "You have no pairs yet. Ask a mentor with `/mentor request @mentor [note]`, "
            "or ask your coordinator to pair you."
        )
        return text, [section(text)]
    text = f"Your pairs ({len(lines)})"
    blocks: list[Block] = [section(f"*{text}*")]
    blocks.extend(section(pair_summary(line)) for line in lines[:45])
    if len(lines) > 45:
        blocks.append(context(f"…and {len(lines) - 45} more."))
    return text, blocks


def end_confirmation(*, pair_id: int, label: str) -> tuple[str, list[Block]]:
    """`label` names the pair as the asker sees it: the other member, or both for a coordinator."""
    text = f"End the mentorship pair with {label}?"
    return text, [
        section(
            f"{text} Rounds stops all nudges for the pair; the history is kept and both of "
            "you are told."
        ),
        actions(
            button("End the pair", END_CONFIRM, str(pair_id), style="danger"),
            button("Keep it", END_CANCEL, str(pair_id)),
            block_id=f"pair_end_{pair_id}",
        ),
    ]
