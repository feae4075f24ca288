"""The App Home tab: published when opened, refreshed when pairs, goals or check-ins change."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.blocks import home as home_blocks
from bot.domain import checkins, goals, pairs, people, summary
from bot.domain.program.attention import needs_attention
from bot.domain.program.calendar import calendar_for
from bot.listeners.history import home_history_blocks
from bot.listeners.people import actor
from bot.listeners.pool import coordinator_pool_blocks
from bot.listeners.presenters import pair_line
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional
from bot.listeners.zones import zoned
from bot.store.models import Pair, PairState, Person

log = logging.getLogger("rounds.home")

EVENT_TYPES = frozenset({"app_home_opened"})


def _home_pair(request: SlackRequest, pair: Pair, viewer: Person) -> home_blocks.HomePair:
    open_goals = goals.open_goals_of_pair(request.session, pair)
    return home_blocks.HomePair(
        pair_id=pair.id,
        line=pair_line(pair, viewer, now=request.now),
        open_goals=[
            home_blocks.GoalLine(
                goal.number, goal.text, goal.due_on.isoformat() if goal.due_on else None
            )
            for goal in open_goals
        ],
    )


def home_view_for(request: SlackRequest, person: Person) -> dict[str, object]:
    live = pairs.live_pairs_of(request.session, person)
    running = [pair for pair in live if pair.state in (PairState.ACTIVE, PairState.PAUSED)]
    recent = [
        home_blocks.RecentCheckIn(
            when=item.completed_at or item.mentee_checked_in_at or item.opened_at,
            other=pairs.other_member(item.pair, person).slack_user_id,
            complete=item.completed_at is not None,
        )
        for item in checkins.recent_checkins(request.session, running)
    ]
    program = None
    if people.is_coordinator(person, configured=request.settings.coordinators):
        numbers = summary.program_summary(
            request.session, workspace_id=person.workspace_id, now=request.now
        )
        program = home_blocks.Program(
            active=numbers.active,
            paused=numbers.paused,
            pending=numbers.pending,
            checkins_last_30_days=numbers.checkins_last_30_days,
            attention=needs_attention(
                request.session,
                workspace_id=person.workspace_id,
                now=request.now,
                calendar=calendar_for(
                    request.session,
                    workspace_id=person.workspace_id,
                    holidays=request.settings.holidays,
                    today=request.now.date(),
                ),
            ),
        )
    return home_blocks.home_view(
        pairs=[_home_pair(request, pair, person) for pair in live],
        recent=recent,
        program=program,
        history=home_history_blocks(request, person),
        directory=coordinator_pool_blocks(request, person) if program is not None else [],
        viewer=zoned(person),
    )


def refresh_homes(request: SlackRequest, persons: Iterable[Person]) -> None:
    """Best effort: a stale Home tab is fixed the next time it is opened."""
    for person in persons:
        try:
            request.client.views_publish(
                user_id=person.slack_user_id, view=home_view_for(request, person)
            )
        except SlackApiError as error:
            log.warning(
                "could not refresh the Home tab of %s: %s",
                person.slack_user_id,
                error.response.get("error"),
            )


def handle_app_home_opened(request: SlackRequest) -> None:
    event = request.body["event"]
    if event.get("tab", "home") != "home":
        return
    me = actor(request)
    request.client.views_publish(user_id=me.slack_user_id, view=home_view_for(request, me))


def register(app: App) -> None:
    app.event("app_home_opened")(transactional(handle_app_home_opened))
