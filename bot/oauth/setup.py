"""Assembling OAuth mode from settings: Bolt's OAuthSettings with Rounds' stores, the
authorization every request goes through, and the clients jobs use per workspace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.config import Settings
from bot.oauth.clients import InstalledWorkspaces
from bot.oauth.installation_store import REFRESH_MINUTES_BEFORE_EXPIRY, RoundsInstallationStore
from bot.oauth.state_store import STATE_EXPIRATION_SECONDS, RoundsOAuthStateStore
from bot.slack_out import make_web_client
from bot.store.db import SessionFactory, read_sessions_like
from bot.tokens import TokenCipher

log = logging.getLogger("rounds.oauth")

# The bot scopes of manifest.yml (tests/test_oauth_install.py keeps them equal). Rounds asks
# for no user scopes: it acts as its bot, never as a person.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "mpim:write",
    "mpim:history",
    "reactions:write",
    "users:read",
    "users:read.email",
    "files:read",
    "files:write",
)
INSTALL_PATH = "/slack/install"  # Bolt's defaults
REDIRECT_PATH = "/slack/oauth_redirect"
NOT_INSTALLED = (
    ":warning: Rounds is not installed in this workspace any more, so it cannot answer. "
    "A workspace admin can add it again with the school's “Add to Slack” link."
)


def authorization_url(api_url: str) -> str:
    """Slack's consent page, next to the Web API it goes with (a local fake in tests)."""
    if api_url.endswith("/api/"):
        return api_url[: -len("api/")] + "oauth/v2/authorize"
    return "https://slack.com/oauth/v2/authorize"


def token_store(
    settings: Settings,
    sessions: SessionFactory,
    *,
    read_sessions: SessionFactory | None = None,
) -> RoundsInstallationStore:
    assert settings.oauth_mode and settings.token_key and settings.slack_client_id
    assert settings.slack_client_secret
    return RoundsInstallationStore(
        sessions,
        TokenCipher.from_setting(settings.token_key),
        read_sessions=read_sessions,
        rotator=TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            # oauth.v2.access with the client's credentials; no token of its own.
            client=WebClient(base_url=settings.slack_api_url),
        ),
    )


@dataclass(frozen=True)
class BoltOAuth:
    store: RoundsInstallationStore
    app_options: dict[str, Any]  # what Bolt's App(...) takes for OAuth mode


def bolt_oauth(
    settings: Settings, sessions: SessionFactory, *, read_sessions: SessionFactory | None = None
) -> BoltOAuth:
    store = token_store(settings, sessions, read_sessions=read_sessions)
    assert settings.slack_client_id and settings.slack_client_secret
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(settings.slack_api_url),
        installation_store=store,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=REFRESH_MINUTES_BEFORE_EXPIRY,
        state_store=RoundsOAuthStateStore(sessions),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        logger=log,
    )
    authorize = InstallationStoreAuthorize(
        logger=log,
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=REFRESH_MINUTES_BEFORE_EXPIRY,
        bot_only=True,
        # Bolt checks each token with auth.test; once per token is enough (the store is still
        # read on every request, so an uninstalled workspace is refused at once).
        cache_enabled=True,
        # Bolt's own rotator would otherwise call slack.com, whatever SLACK_API_URL says.
        client=WebClient(base_url=settings.slack_api_url),
    )
    return BoltOAuth(
        store=store,
        app_options={
            "oauth_settings": oauth_settings,
            "authorize": authorize,
            "installation_store_bot_only": True,
            "user_facing_authorize_error_message": NOT_INSTALLED,
        },
    )


def installed_workspaces(
    settings: Settings,
    sessions: SessionFactory,
    *,
    make_client: Callable[[str], WebClient] | None = None,
) -> InstalledWorkspaces:
    """Clients per workspace for work outside requests; `make_client(token)` chooses retries."""
    return InstalledWorkspaces(
        token_store(settings, sessions, read_sessions=read_sessions_like(sessions)),
        make_client or (lambda token: make_web_client(settings, token=token)),
    )
