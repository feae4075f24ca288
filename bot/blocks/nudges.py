"""The nudges themselves: prompt, follow-up, gratitude reminder, coordinator alert (wrap-ups,
kick-offs and catch-ups are in their own modules)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.checkins import OPEN_FORM, SNOOZE
from bot.blocks.common import Block, actions, button, context, mention, modal, plain, section
from bot.blocks.home import WE_MET, GoalLine, goal_lines
from bot.blocks.themes import DEFAULT_THEME, theme_text

SEND_THANKS = "gratitude_send_thanks"
THANKS_FORM = "thanks_form"
METADATA_EVENT = "rounds_nudge"

Message = tuple[str, list[Block]]


def metadata(delivery_id: int) -> dict[str, object]:
    """Slack message metadata that lets a retry find its own earlier post."""
    return {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": delivery_id}}


def delivery_id_of(message: dict[str, object]) -> int | None:
    meta = message.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != METADATA_EVENT:
        return None
    payload = meta.get("event_payload")
    value = payload.get("delivery_id") if isinstance(payload, dict) else None
    return value if isinstance(value, int) else None


def prompt(
    *,
    pair_id: int,
    mentee: str,
    mentor: str,
    goals: Sequence[GoalLine],
    theme: str = DEFAULT_THEME,
    notices: Sequence[Block] = (),
) -> Message:
    """A check-in prompt; `theme` (bot.domain.themes) decides what this round is about;
    `notices` (the hours clash, told once) go before the buttons."""
    chosen = theme_text(theme)
    greeting = f":wave: Time to check in, {mention(mentee)} and {mention(mentor)}!"
    text = greeting if theme == DEFAULT_THEME else f"{greeting} This round: {chosen.title}."
    blocks: list[Block] = [section(greeting + "\n" + chosen.render(mentee=mentee, mentor=mentor))]
    if goals:
        blocks.append(section("*Open goals*\n" + goal_lines(goals)))
    else:
        blocks.append(context("No goals yet — `/goal add …` gives your conversations a direction."))
    blocks.extend(notices)
    blocks.append(
        actions(
            button("We met", WE_MET, str(pair_id), style="primary"),
            button("Snooze a week", SNOOZE, str(pair_id)),
            button("Log a check-in", OPEN_FORM, str(pair_id)),
            block_id=f"prompt_{pair_id}",
        )
    )
    return text, blocks


def follow_up(*, mentee: str, mentor: str) -> Message:
    """A kind reminder in the prompt's thread. It names the student only: an attending is not
    called out in front of their student (`mentor` is kept for callers and future wording)."""
    text = (
        f"A gentle nudge, {mention(mentee)}: a quick note in this thread keeps things moving "
        'for both of you — even "busy week, let\'s talk next time" counts. :seedling:'
    )
    return text, [section(text)]


def gratitude(*, pair_id: int, mentor: str) -> Message:
    text = (
        f":sparkles: You and {mention(mentor)} just had a check-in. "
        "A short thank-you goes a long way."
    )
    return text, [
        section(
            f"{text} Mentors rarely hear what their time meant — one sentence about what "
            "helped is plenty."
        ),
        actions(
            button("Send thanks", SEND_THANKS, str(pair_id), style="primary"),
            block_id=f"thanks_{pair_id}",
        ),
    ]


def coordinator_alert(*, mentee: str, mentor: str, reason: str) -> Message:
    text = (
        f":warning: Rounds paused the pair {mention(mentee)} and {mention(mentor)}: Slack refused "
        f"its nudge ({reason})."
    )
    return text, [
        section(
            f"{text} A member may have left the workspace or the check-in space may be "
            f"archived. When it's sorted, either member can run `/mentor resume`."
        )
    ]


def thanks_modal(*, pair_id: int, mentor: str) -> dict[str, object]:
    return modal(
        callback_id=THANKS_FORM,
        title="Send thanks",
        submit="Send",
        metadata={"pair": pair_id},
        blocks=[
            context(
                f"Rounds delivers your note to {mention(mentor)} and keeps only that you sent one."
            ),
            {
                "type": "input",
                "block_id": "note",
                "label": plain("Your note"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 2000,
                    "placeholder": plain("What helped, and what you'll do with it"),
                },
            },
        ],
    )


def thanks_note(*, mentee: str, note: str) -> Message:
    text = f":gift_heart: {mention(mentee)} sent you a thank-you note"
    quoted = "\n".join(f">{line}" for line in note.splitlines() or [""])
    return text, [section(f"{text}:\n{quoted}")]
