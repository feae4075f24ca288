"""A mentee's goals: each tied to one pair, numbered within it (stable: "goal 3" stays 3)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.errors import UserError
from bot.store import goals as goal_queries
from bot.store import pairs as pair_queries
from bot.store.models import Goal, GoalStatus, Pair, PairState

MAX_GOAL_LENGTH = 300
RECENTLY_DONE = timedelta(days=90)
GOAL_EXAMPLE = "/goal add Draft my personal statement by 2027-03-01"


@dataclass(frozen=True)
class GoalList:
    open: Sequence[Goal]
    recently_done: Sequence[Goal]


def check_goal_text(text: str) -> str:
    # Control characters (NUL above all) are never meant, and PostgreSQL refuses NUL.
    text = "".join(char for char in text if unicodedata.category(char) != "Cc" or char.isspace())
    text = " ".join(text.split())
    if not text:
        raise UserError("Say what the goal is.", example=GOAL_EXAMPLE)
    if len(text) > MAX_GOAL_LENGTH:
        raise UserError(
            f"Keep a goal under {MAX_GOAL_LENGTH} characters (this one has {len(text)}); "
            "split a big goal into steps.",
            example=GOAL_EXAMPLE,
        )
    return text


def add_goal(
    session: Session, *, pair: Pair, text: str, due_on: date | None, today: date, now: datetime
) -> Goal:
    if pair.state not in (PairState.ACTIVE, PairState.PAUSED):
        raise UserError(
            "Goals can be added once your mentor has accepted; `/mentor list` shows where "
            "your request stands.",
            example="/mentor list",
        )
    if due_on is not None and due_on < today:
        raise UserError(
            f"{due_on.isoformat()} has passed; pick a date from today on.", example=GOAL_EXAMPLE
        )
    # Numbers are never reused within a pair, so "goal 3" means the same goal in every
    # message. Two goals added at once must not both take the next number.
    pair_queries.lock(session, pair)
    highest = goal_queries.highest_number(session, pair_id=pair.id)
    goal = Goal(
        pair=pair,
        mentee_id=pair.mentee_id,
        number=highest + 1,
        text=check_goal_text(text),
        due_on=due_on,
        status=GoalStatus.OPEN,
        created_at=now,
    )
    session.add(goal)
    session.flush()
    return goal


def goals_of_pair(session: Session, pair: Pair, *, now: datetime) -> GoalList:
    goals = goal_queries.of_pair(session, pair_id=pair.id)
    return GoalList(
        open=[goal for goal in goals if goal.status is GoalStatus.OPEN],
        recently_done=[
            goal
            for goal in goals
            if goal.status is GoalStatus.DONE
            and goal.closed_at is not None
            and now - goal.closed_at <= RECENTLY_DONE
        ],
    )


def open_goals_of_pair(session: Session, pair: Pair) -> Sequence[Goal]:
    return goal_queries.of_pair(session, pair_id=pair.id, status=GoalStatus.OPEN)


def goals_numbered(session: Session, *, pairs: Sequence[Pair], number: int) -> Sequence[Goal]:
    """Goal `number` in each of the mentee's running `pairs` that has one."""
    running = [pair.id for pair in pairs if pair.state in (PairState.ACTIVE, PairState.PAUSED)]
    return goal_queries.by_number(session, pair_ids=running, number=number)


def pick_goal(goals: Sequence[Goal], *, number: int, verb: str) -> Goal | None:
    """The goal meant by `/goal <verb> <number>` among the same number in several pairs: the
    only one, or the only open one. None: ambiguous, ask which mentor."""
    if not goals:
        raise UserError(
            f"You have no goal {number}. `/goal list` shows your goals and their numbers.",
            example=f"/goal {verb} 1",
        )
    if len(goals) == 1:
        return goals[0]
    still_open = [goal for goal in goals if goal.status is GoalStatus.OPEN]
    return still_open[0] if len(still_open) == 1 else None


def close_goal(goal: Goal, *, status: GoalStatus, now: datetime) -> Goal:
    if goal.status is not GoalStatus.OPEN:
        raise UserError(f"Goal {goal.number} is already {goal.status.value}.", example="/goal list")
    goal.status = status
    goal.closed_at = now
    return goal
