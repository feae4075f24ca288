"""slack_sdk's OAuthStateStore over Rounds' own `oauth_states` table.

The state travels to Slack and back through the installer's browser (Bolt also sets it in a
cookie and checks both); here it is kept only as a SHA-256 hash, until the redirect brings it
back once, or until it expires. Any process may issue a state and any other consume it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.state_store import OAuthStateStore

from bot.store import installations as queries
from bot.store.db import SessionFactory

log = logging.getLogger("rounds.oauth")

# Bolt's default: an installer has ten minutes between "Add to Slack" and Slack's redirect.
STATE_EXPIRATION_SECONDS = 600


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class RoundsOAuthStateStore(OAuthStateStore):
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        expiration_seconds: int = STATE_EXPIRATION_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.expiration_seconds = expiration_seconds
        self.clock = clock
        self._logger = log

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        now = self.clock()
        with self.sessions.begin() as session:
            queries.forget_expired_states(session, now=now)  # abandoned installs, tidied here
            queries.add_state(
                session,
                state_hash=_hash(state),
                expires_at=now + timedelta(seconds=self.expiration_seconds),
            )
        return state

    def consume(self, state: str) -> bool:
        if not state:
            return False
        with self.sessions.begin() as session:
            return queries.consume_state(session, state_hash=_hash(state), now=self.clock())
