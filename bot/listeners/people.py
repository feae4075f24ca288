"""Turning Slack user IDs into people, refreshing their cached profile (zone, admin) when stale."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.domain import people
from bot.domain.errors import UserError
from bot.domain.people import Profile
from bot.listeners.request import SlackRequest
from bot.slack_out import FaultKind, classify, fetch_profile
from bot.store.models import Person

log = logging.getLogger("rounds.people")


class SlackTooSlowError(Exception):
    """users.info did not answer in time (or was rate limited) before we had to ack."""


def _fetch_profile(request: SlackRequest, slack_user_id: str) -> Profile | None:
    # Runs before the ack, so it uses the quick client: a short timeout and no retries.
    try:
        return fetch_profile(request.lookup_client, slack_user_id)
    except SlackApiError as error:
        if classify(error).kind in (FaultKind.PERMANENT, FaultKind.REJECTED):
            raise
        raise SlackTooSlowError(str(error)) from error
    except OSError as error:
        raise SlackTooSlowError(str(error)) from error


def person(request: SlackRequest, slack_user_id: str, *, refresh: bool = True) -> Person:
    """The person for a Slack user in this request's workspace, profile refreshed if stale."""
    found = people.person_in_team(
        request.session, team_id=request.team_id, slack_user_id=slack_user_id
    )
    if refresh and people.profile_is_stale(found, now=request.now):
        try:
            profile = _fetch_profile(request, slack_user_id)
        except SlackTooSlowError:
            log.info("profile of %s not refreshed: Slack was slow", slack_user_id)
            people.profile_unconfirmed(found, now=request.now)  # the zone serves; privilege not
            return found
        people.apply_profile(found, profile, now=request.now)
    return found


def actor(request: SlackRequest) -> Person:
    return person(request, request.user_id)


def mentioned(request: SlackRequest, slack_user_id: str, *, example: str) -> Person:
    """Someone named in a command: must be a real, active, human Slack user."""
    try:
        profile = _fetch_profile(request, slack_user_id)
    except SlackTooSlowError:
        raise UserError(
            f"Slack is slow to answer right now, so I couldn't look up <@{slack_user_id}>. "
            "Please try again in a minute.",
            example=example,
        ) from None
    if profile is None:
        raise UserError(f"I can't find <@{slack_user_id}> in this workspace.", example=example)
    if profile.is_bot:
        raise UserError(f"<@{slack_user_id}> is a bot; name a person.", example=example)
    if profile.deleted:
        raise UserError(f"<@{slack_user_id}> has left this workspace.", example=example)
    found = person(request, slack_user_id, refresh=False)
    people.apply_profile(found, profile, now=request.now)
    return found
