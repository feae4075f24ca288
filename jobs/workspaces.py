"""`python -m jobs workspace list|delete` and `python -m jobs tokens rekey`: the operator's
tools for the schools Rounds serves.

`workspace delete T…` deletes everything Rounds holds about a workspace (or, with E…, about
every workspace of an Enterprise Grid org) at once, installation and tokens included,
instead of 30 days after an uninstall. Nobody is told.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings
from bot.domain import workspaces
from bot.domain.workspaces import RETENTION
from bot.service import open_database
from bot.store import installations as queries
from bot.store import people as people_queries
from bot.tokens import TokenCipher, UnreadableTokenError
from jobs.program import CommandFailedError


def run_list(*, database_url: str, out: TextIO) -> int:
    database = open_database(database_url)
    now = datetime.now(UTC)
    with database.sessions() as session:
        installed = {row.installation_key: row for row in queries.all_installations(session)}
        known = people_queries.all_workspaces(session)
        if not known and not installed:
            print("No workspaces yet.", file=out)
            return 0
        for workspace in known:
            row = installed.get(workspace.team_id) or (installed.get(workspace.enterprise_id or ""))
            if workspace.uninstalled_at is not None:
                left = workspace.uninstalled_at + RETENTION - now
                state = (
                    f"uninstalled {workspace.uninstalled_at:%Y-%m-%d}; deleted in "
                    f"{max(0, left.days)} days unless installed again"
                )
            elif row is not None:
                state = f"installed{' (org-wide)' if row.is_enterprise_install else ''}"
            else:
                state = "single-token mode or not installed"
            name = f" {row.team_name}" if row is not None and row.team_name else ""
            print(f"{workspace.team_id}{name}: {state}", file=out)
        seen = {workspace.team_id for workspace in known}
        for key, row in installed.items():
            if key not in seen and not any(w.enterprise_id == key for w in known):
                kind = "org-wide install" if row.is_enterprise_install else "installed, unused"
                print(f"{key} {row.team_name or row.enterprise_name or ''}: {kind}", file=out)
    return 0


def run_delete(*, database_url: str, team_or_enterprise: str, out: TextIO) -> int:
    target = team_or_enterprise.strip().upper()
    if target[:1] not in {"T", "E"} or len(target) < 3 or not target.isalnum():
        raise CommandFailedError(f"{team_or_enterprise!r} is not a team ID (T…) or org ID (E…)")
    database = open_database(database_url)
    with database.sessions.begin() as session:
        deleted = workspaces.delete_now(session, team_or_enterprise=target)
    if not deleted:
        print(
            f"No workspace {target} in this database; its installation, if any, is deleted.",
            file=out,
        )
        return 0
    for gone in deleted:
        rows = ", ".join(f"{count} {what}" for what, count in gone.rows.items())
        print(
            f"Deleted workspace {gone.team_id}: {rows}; its installation and tokens too.", file=out
        )
    return 0


def run_rekey(*, settings: Settings, out: TextIO) -> int:
    if not settings.token_key:
        raise CommandFailedError("ROUNDS_TOKEN_KEY is not set; Rounds stores no tokens without it")
    cipher = TokenCipher.from_setting(settings.token_key)
    database = open_database(settings.database_url)
    columns = (
        "bot_token_encrypted",
        "bot_refresh_token_encrypted",
        "user_token_encrypted",
        "user_refresh_token_encrypted",
    )
    done = 0
    try:
        with database.sessions.begin() as session:
            for row in queries.all_installations(session, for_update=True):
                for column in columns:
                    stored = getattr(row, column)
                    if stored is not None:
                        setattr(row, column, cipher.reencrypt(stored))
                done += 1
    except UnreadableTokenError:
        # The transaction rolled back: every token stays as it was.
        raise CommandFailedError(
            "some stored tokens cannot be decrypted with any key in ROUNDS_TOKEN_KEY; nothing "
            "was changed. Put the old key back (after the new one) and run this again."
        ) from None
    print(
        f"Re-encrypted the tokens of {done} installations with the first key of "
        "ROUNDS_TOKEN_KEY; the other keys can go now.",
        file=out,
    )
    return 0
