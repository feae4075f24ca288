"""Registers the everyday-details surfaces: the patient-information guard's buttons, the
Home tab's pair forms, and choosing which mentor's goal `/goal done 2` meant."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.blocks import goals as goal_blocks
from bot.domain.errors import UserError
from bot.listeners import guard, home_forms
from bot.listeners.actions import STALE, action_value, replace_button_message
from bot.listeners.commands.goal import close_and_tell
from bot.listeners.people import actor
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional
from bot.store.models import Goal, GoalStatus


def handle_goal_close_choice(request: SlackRequest) -> None:
    try:
        payload = json.loads(action_value(request))
        goal_id, verb = int(payload["goal"]), str(payload["verb"])
    except (ValueError, KeyError, TypeError):
        raise UserError(STALE) from None
    goal = request.session.get(Goal, goal_id)
    if goal is None or goal.pair.mentee_id != actor(request).id or verb not in {"done", "drop"}:
        raise UserError(STALE)
    replace_button_message(
        request, f"Goal {goal.number} with <@{goal.pair.mentor.slack_user_id}>, {verb}…"
    )
    close_and_tell(request, goal, GoalStatus.DONE if verb == "done" else GoalStatus.DROPPED)


def register(app: App) -> None:
    guard.register(app)
    home_forms.register(app)
    app.action(goal_blocks.CHOOSE_GOAL)(transactional(handle_goal_close_choice))
