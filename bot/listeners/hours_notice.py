"""Telling a pair, once, that their working hours never overlap (bot.domain.hours)."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.common import Block
from bot.blocks.hours import clash_notice
from bot.domain.cadence import WorkingHours
from bot.domain.hours import clash_to_tell
from bot.listeners.zones import zoned
from bot.store.models import Pair


def hours_clash_notice(pair: Pair, *, default: WorkingHours, now: datetime) -> list[Block]:
    """The notice blocks when the pair must hear it now (marked as told: clear
    `pair.hours_clash_noted_at` if the message does not go out), else nothing."""
    clash = clash_to_tell(pair, default=default, now=now)
    if clash is None:
        return []
    return clash_notice(
        mentee=zoned(pair.mentee),
        mentor=zoned(pair.mentor),
        mentee_hours=clash.mentee_hours,
        mentor_hours=clash.mentor_hours,
    )
