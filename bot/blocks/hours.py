"""Working hours: the answer to `/mentor hours`, and the notice a pair gets, once, when their
hours never overlap."""

from __future__ import annotations

from datetime import time

from bot.blocks.common import Block, context, mention, section
from bot.blocks.times import Zoned, hours_range
from bot.domain.cadence import WorkingHours


def _zone_name(who: Zoned) -> str:
    return who.tz or "zone not known yet"


def your_hours(who: Zoned, start: time, end: time, *, own: bool) -> str:
    whose = "your own" if own else "the default"
    return (
        f":clock9: Rounds nudges you on weekdays between {hours_range(start, end, who)} "
        f"({_zone_name(who)}) — {whose} working hours."
    )


def clash_notice(
    *, mentee: Zoned, mentor: Zoned, mentee_hours: WorkingHours, mentor_hours: WorkingHours
) -> list[Block]:
    """Told once to both members of a pair whose working hours never meet."""
    text = (
        f":clock3: Heads-up: your working hours never overlap — {mention(mentee.user)} "
        f"{mentee_hours.start:%H:%M}–{mentee_hours.end:%H:%M} ({_zone_name(mentee)}), "
        f"{mention(mentor.user)} {mentor_hours.start:%H:%M}–{mentor_hours.end:%H:%M} "
        f"({_zone_name(mentor)}). Check-in prompts follow {mention(mentee.user)}'s hours, so "
        f"they reach {mention(mentor.user)} outside theirs: answer whenever it suits you."
    )
    return [section(text), context("`/mentor hours 07:00-15:00` sets your own working hours.")]
