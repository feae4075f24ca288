"""Near misses of subcommands: `/checkin statsu` meant `/checkin status`, not a check-in
that says "statsu" to an attending. Uses difflib's similarity ratio, which forgives a
swapped or missing letter but not a different word."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

# High enough that real one-word updates ("busy", "stuck", "tired") are left alone, low
# enough for one slip of the fingers in a short word ("lsit", "hlep", "statsu").
SIMILARITY = 0.72


@dataclass(frozen=True)
class Suggestion:
    command: str
    subcommand: str

    def text(self) -> str:
        return f"{self.command} {self.subcommand}"


def near_miss(word: str, subcommands: Collection[str]) -> str | None:
    """The subcommand `word` is a slip for, if it is one; None for an exact match or a word
    too far from every subcommand."""
    typed = word.strip().lower()
    word = typed.strip(".!?,;:'\"`")
    if not word or typed in subcommands:
        return None
    if word in subcommands:
        return word  # "status?"
    real = [name for name in subcommands if name]
    found = difflib.get_close_matches(word, real, n=1, cutoff=SIMILARITY)
    return found[0] if found else None


def suggest(
    word: str, *, command: str, commands: Mapping[str, Collection[str]]
) -> list[Suggestion]:
    """What `/command word` most likely meant: a near miss of one of this command's own
    subcommands, or else the same word in other commands (`/checkin list`)."""
    own = near_miss(word, commands.get(command, ()))
    if own is not None:
        return [Suggestion(command, own)]
    cleaned = word.strip().lower().strip(".!?,;:'\"`")
    if cleaned in {"help", ""}:
        return []
    return [
        Suggestion(other, cleaned)
        for other, subcommands in commands.items()
        if other != command and cleaned in subcommands
    ]


def did_you_mean(suggestions: Sequence[Suggestion]) -> str:
    """`Did you mean `/mentor list` or `/goal list`?`"""
    return "Did you mean " + " or ".join(f"`{found.text()}`" for found in suggestions) + "?"
