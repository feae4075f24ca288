"""A mentor's mentoring record: every mentee, when, for how long, and the counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.blocks.common import Block, context, mention, section

LINES_PER_SECTION = 15
LINES_SHOWN = 45
Message = tuple[str, list[Block]]


@dataclass(frozen=True)
class RecordLine:
    mentee: str  # Slack user ID
    state: str
    started: date
    ended: date | None
    months: float
    checkins: int
    thanks: int


@dataclass(frozen=True)
class RecordTotals:
    mentees: int
    current: int
    months: float
    checkins: int
    thanks: int


STATE_WORDS = {
    "active": "current",
    "paused": "current (paused)",
    "alumni": "ended · keeping in touch",
    "ended": "ended",
}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _line(line: RecordLine) -> str:
    until = line.ended.isoformat() if line.ended else "now"
    return (
        f"• {mention(line.mentee)} — {line.started.isoformat()} to {until} · "
        f"{line.months:.1f} months · {_count(line.checkins, 'check-in')} · "
        f"{_count(line.thanks, 'thank-you note')} · {STATE_WORDS.get(line.state, line.state)}"
    )


def record(*, lines: Sequence[RecordLine], totals: RecordTotals, file_coming: bool) -> Message:
    text = f"Your mentoring record: {_count(totals.mentees, 'mentee')} ({totals.current} current)"
    summary = (
        f"*{text}*\n{totals.months:.1f} months of mentoring · "
        f"{_count(totals.checkins, 'check-in')} completed · "
        f"{_count(totals.thanks, 'thank-you note')} received"
    )
    blocks: list[Block] = [section(summary)]
    shown = [_line(line) for line in lines[:LINES_SHOWN]]
    for start in range(0, len(shown), LINES_PER_SECTION):
        blocks.append(section("\n".join(shown[start : start + LINES_PER_SECTION])))
    if len(lines) > LINES_SHOWN:
        blocks.append(context(f"…and {len(lines) - LINES_SHOWN} more in the CSV file."))
    note = "Counts and dates only — Rounds never stores what anyone wrote. Dates are in your zone."
    if file_coming:
        note = "A CSV file of this record is on its way to your DM with Rounds. " + note
    blocks.append(context(note))
    return text, blocks
