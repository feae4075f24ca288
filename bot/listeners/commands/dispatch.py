"""Routing a command's first word to its handler, and turning refusals into clear answers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from slack_sdk.errors import SlackApiError

from bot.blocks.help import USAGES
from bot.domain.errors import UserError
from bot.listeners.parsing import split_subcommand
from bot.listeners.replies import answer_problem
from bot.listeners.runtime import SlackRequest

log = logging.getLogger("rounds.commands")

Subcommand = Callable[[SlackRequest, str], None]


def _first_example(command: str) -> str:
    return next(usage.example for usage in USAGES if usage.command == command and usage.subcommand)


def run_subcommand(
    request: SlackRequest,
    *,
    command: str,
    subcommands: Mapping[str, Subcommand],
    default: Subcommand,
) -> None:
    """`default` gets the whole text when the first word is no subcommand (/checkin <update>)."""
    text = str(request.body.get("text") or "")
    word, rest = split_subcommand(text)
    try:
        handler = subcommands.get(word)
        if handler is None:
            default(request, text.strip())
        else:
            handler(request, rest)
    except UserError as problem:
        request.session.rollback()
        answer_problem(request, problem)
    except SlackApiError as error:
        request.session.rollback()
        log.warning(
            "Slack refused a call for %s %s: %s", command, word, error.response.get("error")
        )
        answer_problem(
            request,
            UserError(
                "Slack didn't let me finish that just now; please try again in a minute.",
                example=_first_example(command),
            ),
        )
