"""SlackRequest: everything a handler may touch for one Slack request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.cadence import WorkingHours


@dataclass
class SlackRequest:
    """Handlers are plain functions of this, so tests call them directly with fakes."""

    ack: Ack
    body: dict[str, Any]
    client: WebClient
    respond: Respond
    session: Session
    settings: Settings
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # For look-ups before the ack: short timeout, no retries (see bot.app).
    quick_client: WebClient | None = None
    # The person pressed "Post anyway" on the patient-information warning for this text.
    phi_confirmed: bool = False

    @property
    def lookup_client(self) -> WebClient:
        return self.quick_client or self.client

    @property
    def team_id(self) -> str:
        team = self.body.get("team")
        if isinstance(team, dict):
            return str(team.get("id", ""))
        return str(self.body.get("team_id") or team or "")

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
    def hours(self) -> WorkingHours:
        return WorkingHours(start=self.settings.workday_start, end=self.settings.workday_end)
