"""Queries on workspaces and people."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from bot.store.models import Pair, PairState, Person, Workspace
from bot.store.upsert import insert_ignoring_duplicates


def workspace_for(session: Session, *, team_id: str) -> Workspace:
    """The workspace with this team ID, created on first sight."""
    query = select(Workspace).where(Workspace.team_id == team_id)
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        insert_ignoring_duplicates(session, Workspace, {"team_id": team_id})
        found = session.execute(query).scalar_one()
    return found


def person_for(session: Session, *, workspace: Workspace, slack_user_id: str) -> Person:
    """The person with this Slack ID, created on first sight (safe against a parallel insert)."""
    query = select(Person).where(
        Person.workspace_id == workspace.id, Person.slack_user_id == slack_user_id
    )
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        insert_ignoring_duplicates(
            session, Person, {"workspace_id": workspace.id, "slack_user_id": slack_user_id}
        )
        found = session.execute(query).scalar_one()
    return found


def person_in_team(session: Session, *, team_id: str, slack_user_id: str) -> Person | None:
    """One query for the common case: someone Rounds has met, with their workspace."""
    return session.execute(
        select(Person)
        .join(Workspace, Person.workspace_id == Workspace.id)
        .where(Workspace.team_id == team_id, Person.slack_user_id == slack_user_id)
        .options(contains_eager(Person.workspace))
    ).scalar_one_or_none()


def coordinators_of(
    session: Session, *, workspace_id: int, configured: Collection[str]
) -> Sequence[Person]:
    return (
        session.execute(
            select(Person)
            .where(
                Person.workspace_id == workspace_id,
                or_(
                    Person.is_coordinator.is_(True),
                    Person.is_slack_admin.is_(True),
                    Person.slack_user_id.in_(list(configured)),
                ),
            )
            .order_by(Person.id)
        )
        .scalars()
        .all()
    )


def stale_profiles(
    session: Session,
    *,
    states: Collection[PairState],
    refreshed_before: datetime,
    admins_refreshed_before: datetime,
    limit: int,
) -> Sequence[Person]:
    """Members of pairs in `states` whose cached profile is older than `refreshed_before`,
    and Slack admins whose flag is older than `admins_refreshed_before`, oldest first."""
    members = (
        select(Pair.mentee_id)
        .where(Pair.state.in_(list(states)))
        .union(select(Pair.mentor_id).where(Pair.state.in_(list(states))))
    )
    never = Person.profile_refreshed_at.is_(None)
    return (
        session.execute(
            select(Person)
            .where(
                or_(
                    and_(
                        Person.id.in_(members),
                        or_(never, Person.profile_refreshed_at < refreshed_before),
                    ),
                    and_(
                        Person.is_slack_admin.is_(True),
                        or_(never, Person.profile_refreshed_at < admins_refreshed_before),
                    ),
                )
            )
            .order_by(Person.profile_refreshed_at.nulls_first())
            .limit(limit)
            .options(selectinload(Person.workspace))
        )
        .scalars()
        .all()
    )


def lock(session: Session, *, person_id: int) -> None:
    """Hold the person's row until the transaction ends (SQLite already has one writer)."""
    session.execute(select(Person.id).where(Person.id == person_id).with_for_update())


def all_workspaces(session: Session) -> Sequence[Workspace]:
    return session.execute(select(Workspace).order_by(Workspace.id)).scalars().all()
