"""Workspaces coming and going: installed, uninstalled (or their token revoked), forgotten.

When Slack says Rounds left a workspace, its nudges stop at once and its tokens are deleted;
its data is kept for RETENTION, in case the school adds Rounds again, and then deleted. No
one is told: there is nobody left to tell in that workspace, and nobody elsewhere has any
business knowing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.store import installations as queries
from bot.store.models import Workspace

RETENTION = timedelta(days=30)
UNINSTALLED = "workspace uninstalled"


class Presence(enum.Enum):
    """Whether Rounds can still act in a workspace, as far as Slack says."""

    INSTALLED = "installed"
    GONE = "gone"
    UNKNOWN = "unknown"  # Slack could not be asked: change nothing


def installation_key(
    *, team_id: str | None, enterprise_id: str | None, org_wide: bool
) -> str | None:
    """A workspace install is known by its team (T…), an org-wide one by its org (E…)."""
    if org_wide or not team_id:
        return enterprise_id or None
    return team_id


def _affected(
    session: Session, *, team_id: str | None, enterprise_id: str | None, org_wide: bool
) -> list[Workspace]:
    if org_wide and enterprise_id:
        # An org-wide install covers every workspace of the org that has no install of its own.
        own = {
            installed.installation_key
            for installed in queries.installations_of_enterprise(
                session, enterprise_id=enterprise_id
            )
            if not installed.is_enterprise_install
        }
        return [
            found
            for found in queries.workspaces_of_enterprise(session, enterprise_id=enterprise_id)
            if found.team_id not in own
        ]
    found = queries.workspace(session, team_id=team_id) if team_id else None
    return [found] if found is not None else []


def uninstalled(
    session: Session,
    *,
    team_id: str | None,
    enterprise_id: str | None,
    org_wide: bool,
    now: datetime,
) -> list[Workspace]:
    """Rounds was uninstalled (or its bot token revoked): delete the tokens, skip every
    waiting delivery, and mark the workspaces so nothing new is planned or sent. Returns the
    workspaces marked."""
    key = installation_key(team_id=team_id, enterprise_id=enterprise_id, org_wide=org_wide)
    if key:
        queries.delete_installations(session, keys=[key])
    affected = _affected(session, team_id=team_id, enterprise_id=enterprise_id, org_wide=org_wide)
    ids = [workspace.id for workspace in affected]
    queries.mark_uninstalled(session, workspace_ids=ids, now=now)
    queries.skip_scheduled_of(session, workspace_ids=ids, reason=UNINSTALLED, now=now)
    return affected


def token_refused(session: Session, *, workspace: Workspace, now: datetime) -> None:
    """Slack refused the workspace's token while Rounds was sending: it is gone from there,
    whether or not its uninstall event has arrived yet. The installation stays, so the
    retention step can ask Slack again before anything is deleted."""
    queries.mark_uninstalled(session, workspace_ids=[workspace.id], now=now)
    queries.skip_scheduled_of(session, workspace_ids=[workspace.id], reason=UNINSTALLED, now=now)


def user_tokens_revoked(
    session: Session,
    *,
    team_id: str | None,
    enterprise_id: str | None,
    org_wide: bool,
    user_ids: Sequence[str],
) -> None:
    key = installation_key(team_id=team_id, enterprise_id=enterprise_id, org_wide=org_wide)
    if key:
        queries.forget_user_tokens(session, key=key, user_ids=user_ids)


def installed(
    session: Session, *, team_id: str | None, enterprise_id: str | None, org_wide: bool
) -> None:
    """Rounds was (re)installed: the workspaces it covers are nudged again, and keep their
    data."""
    if team_id and enterprise_id and not org_wide:
        queries.note_enterprise(session, team_id=team_id, enterprise_id=enterprise_id)
    affected = _affected(session, team_id=team_id, enterprise_id=enterprise_id, org_wide=org_wide)
    queries.clear_uninstalled(session, workspace_ids=[workspace.id for workspace in affected])


@dataclass
class RetentionReport:
    revived: list[str] = field(default_factory=list)  # team IDs installed again
    deleted: list[str] = field(default_factory=list)  # team IDs whose data is gone


def forget_departed(
    session: Session, *, now: datetime, presence: Callable[[Workspace], Presence]
) -> RetentionReport:
    """For each workspace marked uninstalled: installed again (a token that works) → nudged
    again; gone for RETENTION → every row about it deleted; Slack unreachable → wait."""
    report = RetentionReport()
    for workspace in queries.uninstalled_workspaces(session):
        verdict = presence(workspace)
        if verdict is Presence.INSTALLED:
            queries.clear_uninstalled(session, workspace_ids=[workspace.id])
            report.revived.append(workspace.team_id)
        elif (
            verdict is Presence.GONE
            and workspace.uninstalled_at is not None
            and now - workspace.uninstalled_at >= RETENTION
        ):
            queries.delete_workspace(session, workspace_id=workspace.id)
            report.deleted.append(workspace.team_id)
    return report


@dataclass(frozen=True)
class Deleted:
    team_id: str
    rows: dict[str, int]


def delete_now(session: Session, *, team_or_enterprise: str) -> list[Deleted]:
    """An operator's "forget this school now": a workspace (T…) or every workspace of an
    org (E…), with their installations and tokens. Nobody is told."""
    if team_or_enterprise.startswith("E"):
        targets = list(queries.workspaces_of_enterprise(session, enterprise_id=team_or_enterprise))
        keys = {team_or_enterprise, *(workspace.team_id for workspace in targets)}
    else:
        found = queries.workspace(session, team_id=team_or_enterprise)
        targets = [found] if found is not None else []
        keys = {team_or_enterprise}
    queries.delete_installations(session, keys=keys)
    deleted = []
    for workspace in targets:
        rows = queries.count_rows_of(session, workspace_id=workspace.id)
        queries.delete_workspace(session, workspace_id=workspace.id)
        deleted.append(Deleted(team_id=workspace.team_id, rows=rows))
    return deleted
