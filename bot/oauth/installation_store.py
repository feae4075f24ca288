"""slack_sdk's InstallationStore over Rounds' own `installations` table, tokens encrypted.

slack_sdk's SQLAlchemy store would create its own tables and keep tokens in plain text;
this one uses the table Alembic made and encrypts every token with ROUNDS_TOKEN_KEY.

One row per workspace (or per Enterprise Grid org, for an org-wide install): Rounds asks
for bot scopes only, so the latest install is the one that counts. A workspace of an org
with an org-wide install and none of its own is served by the org's row.

Token rotation: when Slack issues expiring tokens (the app's "token rotation" is on), a
token read here within `refresh_minutes` of its expiry is refreshed first, under a lock on
its row, so two processes never spend the same refresh token at once. Bolt's own rotation
(same window) then finds nothing to do; the worker gets the same refresh through the same
store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.domain import workspaces
from bot.store import installations as queries
from bot.store.db import SessionFactory
from bot.store.models import Installation as InstallationRow
from bot.tokens import TokenCipher, UnreadableTokenError

log = logging.getLogger("rounds.oauth")

# Bolt's default: refresh a token when it has less than two hours left.
REFRESH_MINUTES_BEFORE_EXPIRY = 120


def _aware(epoch_seconds: int | float | None) -> datetime | None:
    return None if epoch_seconds is None else datetime.fromtimestamp(epoch_seconds, UTC)


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _scopes(scopes: Any) -> str | None:
    if not scopes:
        return None
    return scopes if isinstance(scopes, str) else ",".join(scopes)


class RoundsInstallationStore(InstallationStore):
    def __init__(
        self,
        sessions: SessionFactory,
        cipher: TokenCipher,
        *,
        read_sessions: SessionFactory | None = None,
        rotator: TokenRotator | None = None,
        refresh_minutes: int = REFRESH_MINUTES_BEFORE_EXPIRY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        # Every Slack request reads its installation: on SQLite that must not queue behind
        # writers (bot.store.db.make_read_session_factory).
        self.read_sessions = read_sessions or sessions
        self.cipher = cipher
        self.rotator = rotator
        self.refresh_minutes = refresh_minutes
        self.clock = clock
        self._logger = log

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    # --- writing -----------------------------------------------------------------------------

    def _seal(self, token: str | None) -> str | None:
        return None if token is None else self.cipher.encrypt(token)

    def _open(self, stored: str | None) -> str | None:
        return None if stored is None else self.cipher.decrypt(stored)

    def save(self, installation: Installation) -> None:
        org_wide = bool(installation.is_enterprise_install)
        key = workspaces.installation_key(
            team_id=installation.team_id,
            enterprise_id=installation.enterprise_id,
            org_wide=org_wide,
        )
        if key is None:
            raise ValueError("an installation names neither a workspace nor an org")
        now = self.clock()
        values: dict[str, Any] = {
            "enterprise_id": installation.enterprise_id,
            "enterprise_name": installation.enterprise_name,
            "enterprise_url": installation.enterprise_url,
            "team_id": None if org_wide else installation.team_id,
            "team_name": installation.team_name,
            "is_enterprise_install": org_wide,
            "app_id": installation.app_id,
            "token_type": installation.token_type,
            "bot_id": installation.bot_id,
            "bot_user_id": installation.bot_user_id,
            "bot_scopes": _scopes(installation.bot_scopes),
            "bot_token_encrypted": self._seal(installation.bot_token),
            "bot_refresh_token_encrypted": self._seal(installation.bot_refresh_token),
            "bot_token_expires_at": _aware(installation.bot_token_expires_at),
            "installer_user_id": installation.user_id,
            "user_scopes": _scopes(installation.user_scopes),
            "user_token_encrypted": self._seal(installation.user_token),
            "user_refresh_token_encrypted": self._seal(installation.user_refresh_token),
            "user_token_expires_at": _aware(installation.user_token_expires_at),
            "installed_at": _aware(installation.installed_at) or now,
            "updated_at": now,
        }
        try:
            with self.sessions.begin() as session:
                queries.save_installation(session, key=key, values=values)
                # Installed again within the 30 days: the school's pairs are nudged again.
                workspaces.installed(
                    session,
                    team_id=installation.team_id,
                    enterprise_id=installation.enterprise_id,
                    org_wide=org_wide,
                )
        except SQLAlchemyError as error:
            # Bolt shows the installer its failure page ("storage_error") instead of a 500.
            log.exception("could not save the installation of %s", key)
            raise BoltError(f"could not save the installation of {key}") from error

    def save_bot(self, bot: Bot) -> None:
        key = workspaces.installation_key(
            team_id=bot.team_id,
            enterprise_id=bot.enterprise_id,
            org_wide=bool(bot.is_enterprise_install),
        )
        if key is None:
            raise ValueError("a bot names neither a workspace nor an org")
        with self.sessions.begin() as session:
            row = queries.installation(session, key=key, for_update=True)
            if row is None:
                return  # uninstalled meanwhile: a refreshed token must not bring it back
            self._write_bot(row, bot)

    def _write_bot(self, row: InstallationRow, bot: Bot) -> None:
        row.bot_id = bot.bot_id
        row.bot_user_id = bot.bot_user_id
        row.bot_scopes = _scopes(bot.bot_scopes)
        row.bot_token_encrypted = self._seal(bot.bot_token)
        row.bot_refresh_token_encrypted = self._seal(bot.bot_refresh_token)
        row.bot_token_expires_at = _aware(bot.bot_token_expires_at)
        row.updated_at = self.clock()

    # --- reading -----------------------------------------------------------------------------

    def _row(
        self,
        session: Session,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None,
        for_update: bool = False,
    ) -> InstallationRow | None:
        if is_enterprise_install or not team_id:
            if not enterprise_id:
                return None
            found = queries.installation(session, key=enterprise_id, for_update=for_update)
            return found if found is not None and found.is_enterprise_install else None
        found = queries.installation(session, key=team_id, for_update=for_update)
        if found is None and enterprise_id:
            org = queries.installation(session, key=enterprise_id, for_update=for_update)
            if org is not None and org.is_enterprise_install:
                return org
        return found

    def _entity(self, row: InstallationRow) -> Installation:
        return Installation(
            app_id=row.app_id,
            enterprise_id=row.enterprise_id,
            enterprise_name=row.enterprise_name,
            enterprise_url=row.enterprise_url,
            team_id=row.team_id,
            team_name=row.team_name,
            bot_token=self._open(row.bot_token_encrypted),
            bot_id=row.bot_id,
            bot_user_id=row.bot_user_id,
            bot_scopes=row.bot_scopes or "",
            bot_refresh_token=self._open(row.bot_refresh_token_encrypted),
            bot_token_expires_at=_epoch(row.bot_token_expires_at),
            user_id=row.installer_user_id,
            user_token=self._open(row.user_token_encrypted),
            user_scopes=row.user_scopes or "",
            user_refresh_token=self._open(row.user_refresh_token_encrypted),
            user_token_expires_at=_epoch(row.user_token_expires_at),
            is_enterprise_install=row.is_enterprise_install,
            token_type=row.token_type,
            installed_at=row.installed_at,
        )

    def _find(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> Installation | None:
        with self.read_sessions() as session:
            row = self._row(
                session,
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
            if row is None:
                return None
            key = row.installation_key
            try:
                found = self._entity(row)
            except UnreadableTokenError:
                log.error(
                    "the tokens of %s cannot be decrypted with ROUNDS_TOKEN_KEY; the workspace "
                    "must add Rounds again",
                    key,
                )
                return None
        if self._expiring(found):
            return self._refreshed(found, key=key)
        return found

    def _expiring(self, found: Installation) -> bool:
        soon = self.clock().timestamp() + self.refresh_minutes * 60
        return any(
            expires is not None and refresh is not None and expires <= soon
            for expires, refresh in (
                (found.bot_token_expires_at, found.bot_refresh_token),
                (found.user_token_expires_at, found.user_refresh_token),
            )
        )

    def _refreshed(self, found: Installation, *, key: str) -> Installation:
        """Refresh expiring tokens holding the row, so that no other process spends the same
        refresh token meanwhile; whoever comes second reads what the first one wrote."""
        if self.rotator is None:
            return found
        with self.sessions.begin() as session:
            row = queries.installation(session, key=key, for_update=True)
            if row is None:
                return found
            current = self._entity(row)
            if not self._expiring(current):
                return current  # another process refreshed it while we waited for the lock
            try:
                refreshed = self.rotator.perform_token_rotation(
                    installation=current, minutes_before_expiration=self.refresh_minutes
                )
            except (SlackTokenRotationError, OSError) as error:
                # The old token may still work until it expires; the next read tries again.
                log.warning("could not refresh the tokens of %s: %s", row.installation_key, error)
                return current
            if refreshed is None:
                return current
            self._write_bot(row, refreshed.to_bot())
            row.user_token_encrypted = self._seal(refreshed.user_token)
            row.user_refresh_token_encrypted = self._seal(refreshed.user_refresh_token)
            row.user_token_expires_at = _aware(refreshed.user_token_expires_at)
            log.info("refreshed the tokens of %s", row.installation_key)
            return refreshed

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = self._find(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if found is None or (user_id is not None and user_id != found.user_id):
            return None  # Rounds keeps the latest install only: nothing of other users
        return found

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self._find(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if found is None or found.bot_token is None:
            return None
        return found.to_bot()

    # --- deleting ----------------------------------------------------------------------------

    def _delete(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        key = workspaces.installation_key(
            team_id=team_id, enterprise_id=enterprise_id, org_wide=not team_id
        )
        if key is None:
            return
        with self.sessions.begin() as session:
            queries.delete_installations(session, keys=[key])

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        # Rounds is nothing without its bot: the installation goes with it.
        self._delete(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        key = workspaces.installation_key(
            team_id=team_id, enterprise_id=enterprise_id, org_wide=not team_id
        )
        if key is None:
            return
        with self.sessions.begin() as session:
            if user_id is None:
                queries.delete_installations(session, keys=[key])
            else:
                queries.forget_user_tokens(session, key=key, user_ids=[user_id])

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self._delete(enterprise_id=enterprise_id, team_id=team_id)
