"""`help` for every command: the full usage, privately."""

from __future__ import annotations

from bot.blocks.help import help_blocks, help_text
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest


def handle_help(request: SlackRequest, _text: str = "") -> None:
    answer(request, help_text(), help_blocks())
