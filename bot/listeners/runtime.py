"""How a Bolt listener runs a Rounds handler: one session, one transaction, friendly failures.

Handlers are plain functions of a SlackRequest, so tests call them directly with fakes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.cadence import WorkingHours
from bot.store.events import claim_event

log = logging.getLogger("rounds.listeners")

SORRY = (
    ":warning: Sorry — something went wrong on our side while handling that. "
    "Please try again in a minute; if it keeps happening, tell your program coordinator."
)


@dataclass
class SlackRequest:
    """Everything a handler may touch for one Slack request."""

    ack: Ack
    body: dict[str, Any]
    client: WebClient
    respond: Respond
    session: Session
    settings: Settings
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

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


Handler = Callable[[SlackRequest], None]


def _acknowledged(ack: Ack) -> bool:
    return getattr(ack, "response", None) is not None


def tell_user_it_failed(
    *, ack: Ack, respond: Respond, body: dict[str, Any], client: WebClient
) -> None:
    """Say sorry on whatever channel this kind of request still has open."""
    try:
        if not _acknowledged(ack):
            if body.get("type") == "view_submission":
                ack()  # close the modal; the apology follows as a DM below
            else:
                ack(text=SORRY)
                return
        if body.get("response_url") or body.get("response_urls"):
            respond(text=SORRY, response_type="ephemeral", replace_original=False)
        elif body.get("type") in {"view_submission", "block_actions"} and body.get("user"):
            client.chat_postMessage(channel=body["user"]["id"], text=SORRY)
    except Exception:
        log.exception("could not tell the user that their request failed")


def transactional(handler: Handler) -> Callable[..., None]:
    """Wrap a handler as a Bolt listener that owns a session for the handler's whole run."""

    def listener(
        ack: Ack,
        body: dict[str, Any],
        client: WebClient,
        respond: Respond,
        context: BoltContext,
    ) -> None:
        with context["session_factory"]() as session:
            request = SlackRequest(
                ack=ack,
                body=body,
                client=client,
                respond=respond,
                session=session,
                settings=context["settings"],
            )
            try:
                event_id = body.get("event_id")
                # Slack retries events it thinks we missed; the claim commits with the
                # handler's work, so a failed first attempt is processed again, once.
                if event_id and not claim_event(session, event_id=event_id, now=request.now):
                    log.info("event %s was already processed; ignoring Slack's retry", event_id)
                    return
                handler(request)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("handler %s failed", handler.__name__)
                tell_user_it_failed(ack=ack, respond=respond, body=body, client=client)

    listener.__name__ = handler.__name__
    listener.__qualname__ = handler.__qualname__
    return listener


def report_unhandled_error(
    error: Exception, body: dict[str, Any], ack: Ack, respond: Respond, client: WebClient
) -> None:
    """Bolt's last resort, for errors outside our handlers (middleware, Bolt itself)."""
    log.error("unhandled error for a %s request", body.get("type", "?"), exc_info=error)
    tell_user_it_failed(ack=ack, respond=respond, body=body, client=client)
