"""Routing a command's first word to its handler."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.listeners.parsing import split_subcommand
from bot.listeners.request import SlackRequest

Subcommand = Callable[[SlackRequest, str], None]


def run_subcommand(
    request: SlackRequest, *, subcommands: Mapping[str, Subcommand], default: Subcommand
) -> None:
    """`default` gets the whole text when the first word is no subcommand."""
    text = str(request.body.get("text") or "")
    word, rest = split_subcommand(text)
    handler = subcommands.get(word)
    if handler is None:
        default(request, text.strip())
    else:
        handler(request, rest)
