"""How handlers answer the person who asked: ephemeral, with an example when it went wrong."""

from __future__ import annotations

from bot.blocks.common import Block
from bot.domain.errors import UserError
from bot.listeners.request import SlackRequest


def problem_text(error: UserError) -> str:
    text = f":warning: {error.message}"
    if error.example:
        text += f"\nFor example: `{error.example}`"
    else:
        text += "\n`/mentor help` lists every command."
    return text


def answer(request: SlackRequest, text: str, blocks: list[Block] | None = None) -> None:
    """Answer privately: in a slash command's ack when still possible, else through its
    response_url, else (buttons on the Home tab, modals) by DM from the bot."""
    if "command" in request.body and request.ack(
        text=text, blocks=blocks, response_type="ephemeral"
    ):
        return
    request.ack()  # no-op when already acknowledged
    if request.body.get("response_url") or request.body.get("response_urls"):
        request.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
    else:
        request.client.chat_postMessage(channel=request.user_id, text=text, blocks=blocks)


def answer_problem(request: SlackRequest, error: UserError) -> None:
    answer(request, problem_text(error))
