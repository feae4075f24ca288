"""A subcommand typed with a slip of the fingers: `/checkin statsu`, `/mentor lsit`,
`/goal hlep`. Rounds asks "Did you mean …?" and does nothing else."""

from __future__ import annotations

from bot.blocks.help import usage_for
from bot.domain import typos
from bot.domain.errors import UserError
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest


def command_words() -> dict[str, set[str]]:
    """Every command's subcommands, read from the dispatch tables themselves."""
    from bot.listeners.commands import checkin, goal, mentor

    return {
        "/mentor": set(mentor.SUBCOMMANDS),
        "/goal": set(goal.SUBCOMMANDS),
        "/checkin": set(checkin.SUBCOMMANDS),
    }


def did_you_mean(request: SlackRequest, command: str, word: str) -> bool:
    """For a one-word `/checkin` update: when the word is a typo of a subcommand, ask about
    it privately, post nothing, and return True."""
    found = typos.suggest(word, command=command, commands=command_words())
    if not found:
        return False
    answer(
        request,
        f":thinking_face: {typos.did_you_mean(found)} I didn't post anything. "
        "To send a one-word update, add a word or two.",
    )
    return True


def typo_error(command: str, word: str) -> UserError | None:
    """The answer to `/command word` when `word` is a near miss of a subcommand ("Did you
    mean `/mentor list`?"), with that subcommand's example; None when it is not."""
    found = typos.suggest(word, command=command, commands=command_words())
    if not found:
        return None
    try:
        example = usage_for(found[0].command, found[0].subcommand).example
    except KeyError:  # `help` has no usage line of its own under every command
        example = found[0].text()
    return UserError(
        f"`{command} {word}` isn't a command. {typos.did_you_mean(found)}", example=example
    )
