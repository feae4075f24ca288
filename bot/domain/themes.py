"""Prompt themes: each check-in prompt leads with one idea, so conversations do not go stale.

The rotation is come prepared → ask for feedback → review goals → plan next steps → ask for
feedback → … : honest feedback is every third prompt, starting with the second, and the
other three take turns in between.
"""

from __future__ import annotations

import enum

from sqlalchemy.orm import Session

from bot.store import themes as theme_queries
from bot.store.models import Pair


class Theme(enum.StrEnum):
    PREPARED = "prepared"  # come prepared: a question, an idea, a challenge
    FEEDBACK = "feedback"  # ask for one piece of honest feedback
    GOALS = "goals"  # review goals
    NEXT_STEPS = "next_steps"  # plan next steps


FEEDBACK_EVERY = 3
FEEDBACK_SLOT = 1  # the second prompt (the kick-off came before it) asks for feedback
TAKING_TURNS = (Theme.PREPARED, Theme.GOALS, Theme.NEXT_STEPS)


def theme_for(prompts_before: int) -> Theme:
    """The theme of a pair's prompt after `prompts_before` earlier ones."""
    if prompts_before < 0:
        raise ValueError("a count of prompts is never negative")
    if prompts_before % FEEDBACK_EVERY == FEEDBACK_SLOT:
        return Theme.FEEDBACK
    feedback_before = (prompts_before + FEEDBACK_EVERY - 1 - FEEDBACK_SLOT) // FEEDBACK_EVERY
    return TAKING_TURNS[(prompts_before - feedback_before) % len(TAKING_TURNS)]


def theme_of_next_prompt(session: Session, pair: Pair) -> Theme:
    return theme_for(theme_queries.prompts_sent(session, pair_id=pair.id))
