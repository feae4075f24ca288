"""Queries for cohort imports: many people and pairs at once, a few statements in all."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.store.models import ImportRun, Pair, PairState, Person


def people_by_slack_id(
    session: Session, *, workspace_id: int, slack_user_ids: Collection[str]
) -> dict[str, Person]:
    if not slack_user_ids:
        return {}
    found = session.execute(
        select(Person).where(
            Person.workspace_id == workspace_id, Person.slack_user_id.in_(list(slack_user_ids))
        )
    ).scalars()
    return {person.slack_user_id: person for person in found}


def live_pairs_among(
    session: Session, *, person_ids: Collection[int], states: Collection[PairState]
) -> set[tuple[int, int]]:
    """(mentee ID, mentor ID) of pairs in `states` that involve any of these people."""
    if not person_ids:
        return set()
    ids = list(person_ids)
    rows = session.execute(
        select(Pair.mentee_id, Pair.mentor_id).where(
            Pair.state.in_(list(states)), or_(Pair.mentee_id.in_(ids), Pair.mentor_id.in_(ids))
        )
    )
    return {(mentee, mentor) for mentee, mentor in rows}


def mentee_counts(
    session: Session, *, mentor_ids: Collection[int], states: Collection[PairState]
) -> dict[int, int]:
    if not mentor_ids:
        return {}
    rows = session.execute(
        select(Pair.mentor_id, func.count())
        .where(Pair.mentor_id.in_(list(mentor_ids)), Pair.state.in_(list(states)))
        .group_by(Pair.mentor_id)
    )
    return {mentor: int(count) for mentor, count in rows}


def save_run(
    session: Session,
    *,
    workspace_id: int,
    coordinator_id: int,
    file_name: str,
    plan: str,
    now: datetime,
) -> ImportRun:
    run = ImportRun(
        workspace_id=workspace_id,
        coordinator_id=coordinator_id,
        file_name=file_name[:200],
        plan=plan,
        created_at=now,
        created_pairs=0,
    )
    session.add(run)
    session.flush()
    return run


def run_for_update(session: Session, *, run_id: int) -> ImportRun | None:
    return session.execute(
        select(ImportRun).where(ImportRun.id == run_id).with_for_update()
    ).scalar_one_or_none()
