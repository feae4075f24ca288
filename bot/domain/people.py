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

# Who is a Slack admin is privilege, so the cached flag fails closed. It is trusted for
# PROFILE_MAX_AGE after Slack last confirmed it (`profile_refreshed_at`, which only an answer
# from Slack moves). Past that, a look-up that fails drops the flag instead of trusting the
# old answer; the time of the last confirmation stays, so the next action (or the profile
# refresher) asks again and a real admin gets the flag back as soon as Slack answers. A user
# Slack no longer knows keeps none. Coordinators added in Rounds or configured in
# ROUNDS_COORDINATORS do not depend on Slack.


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


def apply_profile(person: Person, profile: Profile | None, *, now: datetime) -> None:
    """Keep Slack's answer; None means Slack knows no such user (any more)."""
    if profile is None:
        profile = Profile(tz=None, is_admin=False, deleted=True)
    person.tz = profile.tz or person.tz
    person.is_slack_admin = profile.is_admin and not profile.deleted
    person.profile_refreshed_at = now


def profile_unconfirmed(person: Person, *, now: datetime) -> None:
    """Slack could not be asked about a person: the cached zone serves, but an admin flag
    past its freshness window is dropped rather than kept on an old answer."""
    if profile_is_stale(person, now=now):
        person.is_slack_admin = False


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
