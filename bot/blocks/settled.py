"""A prompt (or check-in post) someone acted on: its buttons give way to what happened."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import Block, context, mention

HOW = {"met": ":handshake: We met", "snoozed": ":zzz: Snoozed a week"}


def note(how: str, *, by: str, on: str) -> str:
    """`We met — marked by @x, Tue Jan 19`."""
    return f"{HOW.get(how, how)} — marked by {mention(by)}, {on}"


def settled(blocks: Sequence[Block], note_text: str) -> list[Block]:
    """The same message without its buttons, saying what happened and by whom."""
    kept = [block for block in blocks if block.get("type") != "actions"]
    return [*kept, context(note_text)][:50]
