"""A client per workspace, from the installation store: what the dispatcher and the profile
refresher use in OAuth mode (bot.slack_out.WorkspaceClients)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.domain.workspaces import Presence
from bot.oauth.installation_store import RoundsInstallationStore
from bot.slack_out import PresenceMemo, presence_by_auth_test
from bot.store.models import Workspace

# A token is read again at least this often, so a token refreshed by another process is
# picked up and an uninstalled workspace gets no client. (Nothing is *sent* to a workspace
# marked uninstalled whatever this says: the dispatcher checks the mark on every delivery.)
KEPT_SECONDS = 60


@dataclass(frozen=True)
class _Kept:
    token: str
    client: WebClient
    until: float  # time.monotonic()


class InstalledWorkspaces:
    """Each workspace's own bot token, decrypted from the store, refreshed before it expires
    (the store does that), with a client made by `make_client` (retries as the caller likes)."""

    many_workspaces = True

    def __init__(
        self, store: RoundsInstallationStore, make_client: Callable[[str], WebClient]
    ) -> None:
        self.store = store
        self.make_client = make_client
        self.lock = threading.Lock()
        self.kept: dict[str, _Kept] = {}
        self._presence = PresenceMemo(self._ask_presence)

    def client_for(self, workspace: Workspace) -> WebClient | None:
        now = time.monotonic()
        with self.lock:
            kept = self.kept.get(workspace.team_id)
        if kept is not None and kept.until > now:
            return kept.client
        bot = self.store.find_bot(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            is_enterprise_install=False,
        )
        if bot is None:
            with self.lock:
                self.kept.pop(workspace.team_id, None)
            return None
        until = now + KEPT_SECONDS
        if bot.bot_token_expires_at is not None:
            # Never past the point where the store would refresh it.
            refresh_at = bot.bot_token_expires_at - self.store.refresh_minutes * 60
            until = min(until, now + max(0.0, refresh_at - time.time()))
        client = (
            kept.client if kept is not None and kept.token == bot.bot_token else None
        ) or self.make_client(bot.bot_token)
        with self.lock:
            self.kept[workspace.team_id] = _Kept(bot.bot_token, client, until)
        return client

    def token_refused(self, workspace: Workspace) -> None:
        with self.lock:
            self.kept.pop(workspace.team_id, None)

    def _ask_presence(self, workspace: Workspace) -> Presence:
        self.token_refused(workspace)  # read the store afresh
        client = self.client_for(workspace)
        if client is None:
            return Presence.GONE
        return presence_by_auth_test(client, workspace)

    def presence(self, workspace: Workspace) -> Presence:
        return self._presence(workspace)
