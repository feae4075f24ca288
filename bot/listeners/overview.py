"""A person's pairs for the read-only commands, read with one statement (bot.store.overview).

Those commands are answered inside Slack's request (bot.listeners.runtime.in_request) when
Rounds already knows the person and their cached profile is fresh: one indexed query, run
through the database driver (bot.store.driver_reads), and no Slack call. Someone new, or
whose profile is stale, goes the way of every other command: through the listener pool, met
or refreshed first, acknowledged by the deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.domain import people
from bot.domain.goals import RECENTLY_DONE
from bot.listeners.people import actor
from bot.listeners.request import AnswerAfterAckError, SlackRequest
from bot.store.db import engine_of
from bot.store.driver_reads import ReadFailedError
from bot.store.models import PairState
from bot.store.overview import Overview, overview_of, overview_read_directly

log = logging.getLogger("rounds.listeners")


def overview_for(
    request: SlackRequest, *, states: Sequence[PairState], with_goals: bool
) -> Overview:
    """The asker and their pairs in `states`; `with_goals` adds open goals and those done in
    the last 90 days."""

    done_since = request.now - RECENTLY_DONE if with_goals else None
    if request.within_request:
        try:
            found = overview_read_directly(
                engine_of(request.session),
                team_id=request.team_id,
                slack_user_id=request.user_id,
                states=states,
                done_since=done_since,
            )
        except ReadFailedError:
            # A connection the database dropped, say: the ordinary path reconnects.
            log.warning("the in-request read failed; answering after the ack instead")
            raise AnswerAfterAckError from None
        if found is None or people.profile_is_stale_since(
            found.profile_refreshed_at, now=request.now
        ):
            raise AnswerAfterAckError  # Slack must be asked first: not within the request
        return found

    def read() -> Overview | None:
        return overview_of(
            request.session.connection(),
            team_id=request.team_id,
            slack_user_id=request.user_id,
            states=states,
            done_since=done_since,
        )

    found = read()
    if found is None or people.profile_is_stale_since(found.profile_refreshed_at, now=request.now):
        actor(request)  # meets them, or refreshes a stale profile
        request.session.flush()
        found = read()
        assert found is not None, "the person was just met"
    return found
