"""Turning Slack user IDs into people, refreshing their cached profile (zone, admin) when stale."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.domain import people
from bot.domain.errors import UserError
from bot.domain.people import Profile
from bot.listeners.request import SlackRequest
from bot.store.models import Person


def _fetch_profile(request: SlackRequest, slack_user_id: str) -> Profile | None:
    try:
        user = request.client.users_info(user=slack_user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") in {"user_not_found", "users_not_found"}:
            return None
        raise
    return Profile(
        tz=user.get("tz"),
        is_admin=bool(user.get("is_admin") or user.get("is_owner")),
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        deleted=bool(user.get("deleted")),
    )


def person(request: SlackRequest, slack_user_id: str, *, refresh: bool = True) -> Person:
    """The person for a Slack user in this request's workspace, profile refreshed if stale."""
    workspace = people.workspace_for(request.session, team_id=request.team_id)
    found = people.person_for(request.session, workspace=workspace, slack_user_id=slack_user_id)
    if refresh and people.profile_is_stale(found, now=request.now):
        profile = _fetch_profile(request, slack_user_id)
        if profile is not None:
            people.apply_profile(found, profile, now=request.now)
    return found


def actor(request: SlackRequest) -> Person:
    return person(request, request.user_id)


def mentioned(request: SlackRequest, slack_user_id: str, *, example: str) -> Person:
    """Someone named in a command: must be a real, active, human Slack user."""
    profile = _fetch_profile(request, slack_user_id)
    if profile is None:
        raise UserError(f"I can't find <@{slack_user_id}> in this workspace.", example=example)
    if profile.is_bot:
        raise UserError(f"<@{slack_user_id}> is a bot; name a person.", example=example)
    if profile.deleted:
        raise UserError(f"<@{slack_user_id}> has left this workspace.", example=example)
    found = person(request, slack_user_id, refresh=False)
    people.apply_profile(found, profile, now=request.now)
    return found
