"""The program tools' command-line twins: `import`, `export` and `calendar import`.

Each prints what it did. Problem lines in a CSV are reported with their numbers (exit 0);
a file that cannot be read as the expected CSV or calendar, or a `--by` who is not a
coordinator, exits 1 with one clear line.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from dotenv import load_dotenv
from sqlalchemy.orm import Session

from bot.config import Settings, database_url_from_environment
from bot.domain import people
from bot.domain.cadence import zone
from bot.domain.errors import UserError
from bot.domain.program import calendar, ics, imports
from bot.domain.program.export import export_csv
from bot.oauth.setup import installed_workspaces
from bot.service import Database, open_database, settings_or_exit
from bot.slack_out import SlackClient, fetch_profile, look_up_people, make_web_client
from bot.store import people as people_queries
from bot.store.models import Workspace
from jobs.runtime import working_hours

FAILED = 1


class CommandFailedError(Exception):
    """One line for the operator; the command exits 1."""


def _read(path: Path, *, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise CommandFailedError(
                f"{path} is {size / 1024 / 1024:.1f} MB; the limit is {limit // 1024 // 1024} MB."
            )
        return path.read_bytes()
    except OSError as error:
        raise CommandFailedError(f"cannot read {path}: {error.strerror or error}") from None


def _workspace(session: Session, team: str | None) -> Workspace:
    """--team, else the only workspace in the database, else the bot token's workspace."""
    if team:
        return people.workspace_for(session, team_id=team)
    known = people_queries.all_workspaces(session)
    if len(known) == 1:
        return known[0]
    if known:
        teams = ", ".join(workspace.team_id for workspace in known)
        raise CommandFailedError(f"several workspaces ({teams}); choose one with --team")
    load_dotenv()
    if not os.environ.get("SLACK_BOT_TOKEN") or os.environ.get("SLACK_CLIENT_ID"):
        raise CommandFailedError("no workspace yet; pass --team T… or set SLACK_BOT_TOKEN")
    settings = settings_or_exit(require_signing_secret=False)
    team_id = str(make_web_client(settings).auth_test()["team_id"])
    return people.workspace_for(session, team_id=team_id)


def _client_for_team(
    settings: Settings, database: Database, team: str | None
) -> tuple[SlackClient, str]:
    """The client that acts in the workspace to import into, and its team ID: the bot
    token's workspace, or (OAuth mode) the workspace --team names, with its own token."""
    if not settings.oauth_mode:
        client = make_web_client(settings)
        team_id = str(client.auth_test()["team_id"])
        if team and team != team_id:
            raise CommandFailedError(f"--team {team}: SLACK_BOT_TOKEN acts in {team_id}")
        return client, team_id
    if not team:
        raise CommandFailedError("Rounds serves several workspaces; choose one with --team T…")
    with database.sessions.begin() as session:
        workspace = people.workspace_for(session, team_id=team)
    # Outside the transaction: finding the token may mean refreshing it, which writes.
    found = (
        None
        if workspace.uninstalled_at
        else installed_workspaces(settings, database.sessions).client_for(workspace)
    )
    if found is None:
        raise CommandFailedError(f"--team {team}: Rounds is not installed in that workspace")
    return found, team


def run_import(path: Path, *, by: str, dry_run: bool, out: TextIO, team: str | None = None) -> int:
    settings = settings_or_exit(require_signing_secret=False)
    database = open_database(settings.database_url)
    data = _read(path, limit=imports.MAX_BYTES)
    client, team_id = _client_for_team(settings, database, team)
    now = datetime.now(UTC)
    with database.sessions() as session:
        workspace = people.workspace_for(session, team_id=team_id)
        coordinator = people.person_for(session, workspace=workspace, slack_user_id=by)
        profile = fetch_profile(client, by)
        if profile is None:
            raise CommandFailedError(f"--by {by}: no such Slack user in this workspace")
        people.apply_profile(coordinator, profile, now=now)
        if not people.is_coordinator(coordinator, configured=settings.coordinators):
            raise CommandFailedError(
                f"--by {by} is not a coordinator (a workspace admin, in ROUNDS_COORDINATORS, "
                "or added with /mentor coordinator add)"
            )
        try:
            run, check = imports.dry_run(
                session,
                workspace=workspace,
                coordinator=coordinator,
                file_name=path.name,
                data=data,
                look_up=lambda refs: look_up_people(client, refs),
                default_capacity=settings.mentor_capacity,
                hours=working_hours(settings),
                configured=settings.coordinators,
                now=now,
            )
        except UserError as problem:
            raise CommandFailedError(f"{path}: {problem.message}") from None
        print(
            f"Dry run of {path.name}: {len(check.new)} new pairs, {len(check.already)} "
            f"already paired, {len(check.problems)} problem lines.",
            file=out,
        )
        for line in check.sorted_problems():
            print(f"  line {line.line}: {line.message}", file=out)
        if dry_run:
            session.rollback()  # a dry run changes nothing
            print("Nothing was changed (--dry-run).", file=out)
            return 0
        session.flush()
        result = imports.apply_import(
            session,
            run_id=run.id,
            coordinator=coordinator,
            default_capacity=settings.mentor_capacity,
            hours=working_hours(settings),
            configured=settings.coordinators,
            now=now,
        )
        session.commit()
    print(f"Imported {result.created} pairs, active now.", file=out)
    for skipped in result.skipped:
        print(f"  skipped line {skipped.line}: {skipped.message}", file=out)
    if result.first_welcome_at and result.last_welcome_at:
        print(
            f"Their welcomes go out through the worker from {result.first_welcome_at:%H:%M} "
            f"to {result.last_welcome_at:%H:%M} UTC, paced to Slack's limits.",
            file=out,
        )
    return 0


def run_export(*, out_path: Path | None, team: str | None, out: TextIO) -> int:
    database = open_database(database_url_from_environment())
    with database.sessions() as session:
        workspace = _workspace(session, team)
        content, count = export_csv(session, workspace_id=workspace.id)
        session.commit()
    if out_path is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        print(f"Exported {count} pairs of {workspace.team_id}.", file=sys.stderr)
        return 0
    try:
        out_path.write_bytes(content)
    except OSError as error:
        raise CommandFailedError(f"cannot write {out_path}: {error.strerror or error}") from None
    print(f"Exported {count} pairs of {workspace.team_id} to {out_path}.", file=out)
    return 0


def run_calendar_import(path: Path, *, team: str | None, out: TextIO) -> int:
    data = _read(path, limit=ics.MAX_ICS_BYTES)
    database = open_database(database_url_from_environment())
    now = datetime.now(UTC)
    with database.sessions() as session:
        workspace = _workspace(session, team)
        try:
            found = ics.read_ics(data, today=now.astimezone(zone(None)).date())
        except UserError as problem:
            raise CommandFailedError(f"{path}: {problem.message}") from None
        added = sum(
            calendar.add_blackout(
                session, workspace_id=workspace.id, request=item, source="ics", now=now
            )
            for item in found.blackouts
        )
        session.commit()
    print(
        f"{path.name}: {len(found.blackouts)} blackouts read, {added} new, "
        f"{len(found.blackouts) - added} already there; {found.short_events} events shorter "
        "than a day left out.",
        file=out,
    )
    for item in found.blackouts:
        span = item.starts_on.isoformat()
        if item.ends_on != item.starts_on:
            span += f"..{item.ends_on.isoformat()}"
        print(f"  {span}  {item.name}", file=out)
    return 0
