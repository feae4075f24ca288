"""Requests exactly as Slack sends them: form or JSON bodies, signed with the signing secret."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
TEAM_ID = "T0001"

_sequence = itertools.count(1)


def sign(body: bytes, *, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature: HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        return self.body.decode()


def post(
    url: str,
    body: bytes,
    *,
    content_type: str,
    timestamp: int | None = None,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    timestamp = int(time.time()) if timestamp is None else timestamp
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", content_type)
    request.add_header("X-Slack-Request-Timestamp", str(timestamp))
    request.add_header("X-Slack-Signature", signature or sign(body, timestamp=timestamp))
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read(), time.perf_counter() - started)
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read(), time.perf_counter() - started)


def get(url: str) -> Reply:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return Reply(response.status, response.read(), time.perf_counter() - started)
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read(), time.perf_counter() - started)


def command_body(
    command: str,
    text: str,
    *,
    user: str,
    response_url: str,
    channel: str = "C0GENERAL",
    team_id: str = TEAM_ID,
    enterprise_id: str | None = None,
    org_wide: bool = False,
    trigger_id: str | None = None,
) -> bytes:
    grid = {"enterprise_id": enterprise_id} if enterprise_id else {}
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            **grid,
            "team_domain": "med-school",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0ROUNDS",
            "is_enterprise_install": "true" if org_wide else "false",
            "response_url": response_url,
            "trigger_id": trigger_id or f"{next(_sequence)}.trigger",
        }
    ).encode()


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def event_envelope(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    bot_user_id: str = "UBOT",
    enterprise_id: str | None = None,
    org_wide: bool = False,
) -> dict[str, Any]:
    authorization: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "team_id": None if org_wide else team_id,
        "user_id": bot_user_id,
        "is_bot": True,
        "is_enterprise_install": org_wide,
    }
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        **({"enterprise_id": enterprise_id} if enterprise_id else {}),
        "api_app_id": "A0ROUNDS",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_sequence):08d}",
        "event_time": int(time.time()),
        "is_ext_shared_channel": False,
        "authorizations": [authorization],
    }


def block_action_payload(
    *,
    user: str,
    action_id: str,
    value: str = "",
    response_url: str | None = None,
    container: dict[str, Any] | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "med-school"},
        "user": {"id": user, "team_id": team_id},
        "api_app_id": "A0ROUNDS",
        "trigger_id": f"{next(_sequence)}.trigger",
        "container": container or {"type": "message"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if response_url:
        payload["response_url"] = response_url
    return payload


def view_submission_payload(
    *,
    user: str,
    callback_id: str,
    values: dict[str, Any],
    private_metadata: str = "",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "med-school"},
        "user": {"id": user, "team_id": team_id},
        "api_app_id": "A0ROUNDS",
        "trigger_id": f"{next(_sequence)}.trigger",
        "view": {
            "id": f"V{next(_sequence):08d}",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
        },
    }


class SlackSender:
    """Sends Slack-signed requests to a running Rounds HTTP app, as from one workspace
    (`team_id`; `bot_user_id` is Rounds' bot user there)."""

    def __init__(
        self,
        base_url: str,
        fake_slack: Any,
        *,
        team_id: str = TEAM_ID,
        bot_user_id: str = "UBOT",
        enterprise_id: str | None = None,
        org_wide: bool = False,
    ) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.fake_slack = fake_slack
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.enterprise_id = enterprise_id
        self.org_wide = org_wide

    def command(self, command: str, text: str = "", *, user: str) -> tuple[Reply, str]:
        """Returns the HTTP reply and the response_url Slack would have handed out."""
        response_url = self.fake_slack.new_response_url()
        body = command_body(
            command,
            text,
            user=user,
            response_url=response_url,
            team_id=self.team_id,
            enterprise_id=self.enterprise_id,
            org_wide=self.org_wide,
            trigger_id=self.fake_slack.new_trigger_id(),
        )
        reply = post(self.url, body, content_type="application/x-www-form-urlencoded")
        return reply, response_url

    def interaction(self, payload: dict[str, Any]) -> Reply:
        return post(
            self.url, interaction_body(payload), content_type="application/x-www-form-urlencoded"
        )

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0) -> Reply:
        envelope = event_envelope(
            event,
            event_id=event_id,
            team_id=self.team_id,
            bot_user_id=self.bot_user_id,
            enterprise_id=self.enterprise_id,
            org_wide=self.org_wide,
        )
        body = json.dumps(envelope).encode()
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return post(
            self.url,
            body,
            content_type="application/json",
            headers=headers if retry else None,
        )
