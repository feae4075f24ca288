"""Queries on installations ("Add to Slack"), OAuth states, and workspaces coming and going.

Rows here hold tokens only as ciphertext: bot.oauth encrypts before it writes and decrypts
after it reads. Nothing in this module sees a token in plain text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.store.models import (
    Blackout,
    CheckIn,
    Delivery,
    DeliveryStatus,
    Goal,
    ImportRun,
    Installation,
    OAuthState,
    Pair,
    Person,
    Workspace,
)
from bot.store.upsert import insert_ignoring_duplicates

# --- installations ---------------------------------------------------------------------------


def installation(session: Session, *, key: str, for_update: bool = False) -> Installation | None:
    query = select(Installation).where(Installation.installation_key == key)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def save_installation(session: Session, *, key: str, values: dict[str, Any]) -> Installation:
    """Insert or update the installation of one workspace or org (safe against a parallel
    save of the same one)."""
    found = installation(session, key=key, for_update=True)
    if found is None:
        insert_ignoring_duplicates(session, Installation, {"installation_key": key, **values})
        found = installation(session, key=key, for_update=True)
        assert found is not None
        # A parallel save may have won the insert: this one's values still land.
    for name, value in values.items():
        setattr(found, name, value)
    session.flush()
    return found


def delete_installations(session: Session, *, keys: Collection[str]) -> int:
    if not keys:
        return 0
    deleted = session.execute(
        delete(Installation)
        .where(Installation.installation_key.in_(list(keys)))
        .returning(Installation.id)
    ).all()
    return len(deleted)


def installations_of_enterprise(session: Session, *, enterprise_id: str) -> Sequence[Installation]:
    return (
        session.execute(select(Installation).where(Installation.enterprise_id == enterprise_id))
        .scalars()
        .all()
    )


def all_installations(session: Session, *, for_update: bool = False) -> Sequence[Installation]:
    query = select(Installation).order_by(Installation.id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalars().all()


def forget_user_tokens(session: Session, *, key: str, user_ids: Collection[str]) -> int:
    """Drop the user tokens Slack revoked (the installer's, when Rounds asked for any)."""
    if not user_ids:
        return 0
    changed = session.execute(
        update(Installation)
        .where(
            Installation.installation_key == key,
            Installation.installer_user_id.in_(list(user_ids)),
        )
        .values(
            user_token_encrypted=None,
            user_refresh_token_encrypted=None,
            user_token_expires_at=None,
            user_scopes=None,
        )
        .returning(Installation.id)
        .execution_options(synchronize_session=False)
    ).all()
    return len(changed)


# --- OAuth states ----------------------------------------------------------------------------


def add_state(session: Session, *, state_hash: str, expires_at: datetime) -> None:
    session.add(OAuthState(state_hash=state_hash, expires_at=expires_at))


def consume_state(session: Session, *, state_hash: str, now: datetime) -> bool:
    """True once for a state that was issued and has not expired; it is gone afterwards."""
    consumed = session.execute(
        delete(OAuthState)
        .where(OAuthState.state_hash == state_hash)
        .returning(OAuthState.expires_at)
    ).first()
    return consumed is not None and consumed.expires_at > now


def forget_expired_states(session: Session, *, now: datetime) -> None:
    session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))


# --- workspaces coming and going -------------------------------------------------------------


def pair_is_installed() -> ColumnElement[bool]:
    """A condition on Pair: its workspace has Rounds installed. Nothing is planned for a
    workspace that uninstalled it; its rows only wait to be deleted."""
    return Pair.workspace_id.not_in(
        select(Workspace.id).where(Workspace.uninstalled_at.is_not(None))
    )


def workspace(session: Session, *, team_id: str) -> Workspace | None:
    return session.execute(
        select(Workspace).where(Workspace.team_id == team_id)
    ).scalar_one_or_none()


def workspaces_of_enterprise(session: Session, *, enterprise_id: str) -> Sequence[Workspace]:
    return (
        session.execute(
            select(Workspace).where(Workspace.enterprise_id == enterprise_id).order_by(Workspace.id)
        )
        .scalars()
        .all()
    )


def note_enterprise(session: Session, *, team_id: str, enterprise_id: str) -> None:
    """Remember that a workspace belongs to an org, so its org-wide install is found for it."""
    insert_ignoring_duplicates(session, Workspace, {"team_id": team_id})
    session.execute(
        update(Workspace)
        .where(
            Workspace.team_id == team_id,
            or_(Workspace.enterprise_id.is_(None), Workspace.enterprise_id != enterprise_id),
        )
        .values(enterprise_id=enterprise_id)
        .execution_options(synchronize_session=False)
    )


def mark_uninstalled(session: Session, *, workspace_ids: Collection[int], now: datetime) -> None:
    """From now on no nudges; the first mark counts for the 30 days."""
    if not workspace_ids:
        return
    session.execute(
        update(Workspace)
        .where(Workspace.id.in_(list(workspace_ids)), Workspace.uninstalled_at.is_(None))
        .values(uninstalled_at=now)
        .execution_options(synchronize_session=False)
    )


def clear_uninstalled(session: Session, *, workspace_ids: Collection[int]) -> None:
    if not workspace_ids:
        return
    session.execute(
        update(Workspace)
        .where(Workspace.id.in_(list(workspace_ids)))
        .values(uninstalled_at=None)
        .execution_options(synchronize_session=False)
    )


def uninstalled_workspaces(session: Session) -> Sequence[Workspace]:
    return (
        session.execute(
            select(Workspace)
            .where(Workspace.uninstalled_at.is_not(None))
            .order_by(Workspace.uninstalled_at)
        )
        .scalars()
        .all()
    )


def uninstalled_workspace_ids(session: Session) -> Sequence[int]:
    return (
        session.execute(select(Workspace.id).where(Workspace.uninstalled_at.is_not(None)))
        .scalars()
        .all()
    )


def skip_scheduled_of(
    session: Session, *, workspace_ids: Collection[int], reason: str, now: datetime
) -> int:
    """Every delivery of these workspaces still waiting to go out ends skipped, at once."""
    if not workspace_ids:
        return 0
    ids = list(workspace_ids)
    of_pairs = select(Pair.id).where(Pair.workspace_id.in_(ids))
    of_people = select(Person.id).where(Person.workspace_id.in_(ids))
    skipped = session.execute(
        update(Delivery)
        .where(
            Delivery.status == DeliveryStatus.SCHEDULED,
            or_(Delivery.pair_id.in_(of_pairs), Delivery.person_id.in_(of_people)),
        )
        .values(status=DeliveryStatus.SKIPPED, outcome=reason, finished_at=now)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    return len(skipped)


def count_rows_of(session: Session, *, workspace_id: int) -> dict[str, int]:
    """What deleting the workspace would delete, for the operator's report."""
    pair_ids = select(Pair.id).where(Pair.workspace_id == workspace_id)
    person_ids = select(Person.id).where(Person.workspace_id == workspace_id)

    def count(model: Any, *conditions: Any) -> int:
        return int(
            session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()
        )

    return {
        "people": count(Person, Person.workspace_id == workspace_id),
        "pairs": count(Pair, Pair.workspace_id == workspace_id),
        "goals": count(Goal, Goal.pair_id.in_(pair_ids)),
        "check-ins": count(CheckIn, CheckIn.pair_id.in_(pair_ids)),
        "deliveries": count(
            Delivery, or_(Delivery.pair_id.in_(pair_ids), Delivery.person_id.in_(person_ids))
        ),
        "blackouts": count(Blackout, Blackout.workspace_id == workspace_id),
        "imports": count(ImportRun, ImportRun.workspace_id == workspace_id),
    }


def delete_workspace(session: Session, *, workspace_id: int) -> None:
    """Everything Rounds holds about a workspace, children first: the database's cascades
    would do it too, but explicit deletes do not depend on SQLite's foreign_keys pragma."""
    pair_ids = select(Pair.id).where(Pair.workspace_id == workspace_id)
    person_ids = select(Person.id).where(Person.workspace_id == workspace_id)
    session.execute(
        delete(Delivery).where(
            or_(Delivery.pair_id.in_(pair_ids), Delivery.person_id.in_(person_ids))
        )
    )
    session.execute(delete(CheckIn).where(CheckIn.pair_id.in_(pair_ids)))
    session.execute(delete(Goal).where(Goal.pair_id.in_(pair_ids)))
    session.execute(delete(ImportRun).where(ImportRun.workspace_id == workspace_id))
    session.execute(delete(Blackout).where(Blackout.workspace_id == workspace_id))
    session.execute(delete(Pair).where(Pair.workspace_id == workspace_id))
    session.execute(delete(Person).where(Person.workspace_id == workspace_id))
    session.execute(delete(Workspace).where(Workspace.id == workspace_id))
