"""Workspaces, people, and who counts as a coordinator."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.errors import UserError
from bot.store import people as people_queries
from bot.store.models import Person, Workspace

# Time zones and admin flags change rarely; a day-old copy is fresh enough and keeps
# Slack calls off the hot path.
PROFILE_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Profile:
    """What Rounds keeps from a Slack user's profile."""

    tz: str | None
    is_admin: bool
    is_bot: bool = False
    deleted: bool = False
    # For plain-text labels only (a mention cannot render there); never stored.
    display_name: str | None = None


def workspace_for(session: Session, *, team_id: str) -> Workspace:
    return people_queries.workspace_for(session, team_id=team_id)


def person_in_team(session: Session, *, team_id: str, slack_user_id: str) -> Person:
    """The person with this Slack ID in the team's workspace, met for the first time if need be."""
    found = people_queries.person_in_team(session, team_id=team_id, slack_user_id=slack_user_id)
    if found is not None:
        return found
    workspace = workspace_for(session, team_id=team_id)
    return person_for(session, workspace=workspace, slack_user_id=slack_user_id)


def person_for(session: Session, *, workspace: Workspace, slack_user_id: str) -> Person:
    """The person with this Slack ID in the workspace, met for the first time if need be."""
    return people_queries.person_for(session, workspace=workspace, slack_user_id=slack_user_id)


def coordinators(
    session: Session, *, workspace: Workspace, configured: Collection[str]
) -> Sequence[Person]:
    """Everyone who coordinates the program, meeting configured coordinators on the way."""
    for slack_user_id in sorted(configured):
        person_for(session, workspace=workspace, slack_user_id=slack_user_id)
    return people_queries.coordinators_of(session, workspace_id=workspace.id, configured=configured)


def profile_is_stale(person: Person, *, now: datetime) -> bool:
    return (
        person.profile_refreshed_at is None or now - person.profile_refreshed_at > PROFILE_MAX_AGE
    )


def apply_profile(person: Person, profile: Profile, *, now: datetime) -> None:
    person.tz = profile.tz or person.tz
    person.is_slack_admin = profile.is_admin and not profile.deleted
    person.profile_refreshed_at = now


def is_coordinator(person: Person, *, configured: Collection[str]) -> bool:
    return person.is_coordinator or person.is_slack_admin or person.slack_user_id in configured


def require_coordinator(person: Person, *, configured: Collection[str], action: str) -> None:
    if not is_coordinator(person, configured=configured):
        raise UserError(
            f"Only program coordinators can {action}. Ask your coordinator, or use "
            "`/mentor request @mentor` to ask a mentor yourself.",
            example="/mentor request @Dr. Patel I'd love guidance on research",
        )


MAX_CAPACITY = 50


def set_capacity(
    *, actor: Person, mentor: Person, capacity: int, configured: Collection[str]
) -> None:
    example = "/mentor capacity @Dr. Patel 3"
    if actor.id != mentor.id:
        require_coordinator(actor, configured=configured, action="set another mentor's capacity")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise UserError(f"A capacity is 1 to {MAX_CAPACITY} mentees.", example=example)
    mentor.mentor_capacity = capacity


def add_coordinator(
    session: Session, *, actor: Person, target: Person, configured: Collection[str]
) -> bool:
    """Make `target` a coordinator; False when they already were one."""
    require_coordinator(actor, configured=configured, action="add coordinators")
    if is_coordinator(target, configured=configured):
        return False
    target.is_coordinator = True
    return True
