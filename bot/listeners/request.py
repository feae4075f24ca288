"""SlackRequest: everything a handler may touch for one Slack request."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.cadence import WorkingHours
from bot.domain.people import Profile
from bot.listeners.lookups import Lookups

# Slack waits 3 seconds for the ack, counted from when it sent the request; the network both
# ways and Bolt's own work come out of that. Whatever is not done by then is answered later.
ACK_BUDGET_SECONDS = 2.0


class OnceAck:
    """Bolt's ack, which the handler and the ack deadline (see listeners.runtime) may both
    call from different threads: the first call answers Slack, later ones change nothing."""

    def __init__(self, ack: Ack) -> None:
        self._ack = ack
        self._lock = threading.Lock()

    @property
    def done(self) -> bool:
        return self._ack.response is not None

    def __call__(self, *args: Any, **kwargs: Any) -> bool:
        """Acknowledge with Bolt's ack arguments; False when already acknowledged, in which
        case they went nowhere and what they said must be delivered another way."""
        with self._lock:
            if self._ack.response is not None:
                return False
            self._ack(*args, **kwargs)
            return True


class AnswerAfterAckError(Exception):
    """Raised by a handler run within the HTTP request (`SlackRequest.within_request`) when
    it cannot answer from the database alone (someone new, a stale profile): the request
    then goes to the listener pool, where it is acknowledged by the deadline."""


@cache
def default_lookups() -> Lookups:
    """For requests made without an app's own (handlers called directly, as tests do)."""
    return Lookups(workers=4)


@dataclass
class SlackRequest:
    """Handlers are plain functions of this, so tests call them directly with fakes."""

    ack: OnceAck
    body: dict[str, Any]
    client: WebClient
    respond: Respond
    session: Session
    settings: Settings
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # time.monotonic() by which Slack must have its ack.
    ack_by: float = field(default_factory=lambda: time.monotonic() + ACK_BUDGET_SECONDS)
    lookups: Lookups = field(default_factory=default_lookups)
    # users.info look-ups started for this request, by Slack user ID (see listeners.people).
    profiles: dict[str, Future[Profile | None]] = field(default_factory=dict)
    # Run inside the HTTP request, answered in its response (see listeners.runtime.in_request):
    # nothing may wait on Slack before the answer.
    within_request: bool = False
    # The person pressed "Post anyway" on the patient-information warning for this text.
    phi_confirmed: bool = False

    @property
    def team_id(self) -> str:
        team = self.body.get("team")
        if isinstance(team, dict) and team.get("id"):
            return str(team["id"])
        found = self.body.get("team_id") or (team if isinstance(team, str) else None)
        if not found:
            # Enterprise Grid: an org-wide install's payload may carry the workspace only on
            # the user who acted.
            user = self.body.get("user")
            found = user.get("team_id") if isinstance(user, dict) else None
        return str(found or "")

    @property
    def user_id(self) -> str:
        user = self.body.get("user")
        if isinstance(user, dict):
            return str(user.get("id", ""))
        if "event" in self.body:
            return str(self.body["event"].get("user", ""))
        return str(self.body.get("user_id") or user or "")

    @property
    def trigger_id(self) -> str | None:
        return self.body.get("trigger_id")

    @property
    def may_answer_later(self) -> bool:
        """Whether an empty ack now and the answer later works: yes for commands and buttons
        (response_url, or a DM); not for a form's submission, whose ack decides if it closes."""
        return self.body.get("type") != "view_submission"

    @property
    def hours(self) -> WorkingHours:
        return WorkingHours(start=self.settings.workday_start, end=self.settings.workday_end)
