"""What Slack itself does for the people of the sandbox: it turns what they type and press into
the signed HTTP requests Slack sends an app (slash commands, block_actions, view_submission,
view_closed, Events API callbacks), and shows what the app answers (acknowledgements, response
URLs, modals and their response_action).

Rounds receives exactly what it would receive from Slack, at its own /slack/events, with a
valid signature; what it sends back goes to the fake Web API (sandbox.fake_slack), which keeps
the world the page shows.
"""

from __future__ import annotations

import hmac
import itertools
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from sandbox.fake_slack import FakeSlack
from sandbox.school import School

log = logging.getLogger("rounds.sandbox")

APP_ID = "A0ROUNDS"
# The slash commands manifest.yml registers (tests/test_sandbox.py checks they agree); Slack
# itself answers any other.
COMMANDS = ("/mentor", "/goal", "/checkin")
TEAM_DOMAIN = "med-school"
# Slack gives an app 3 seconds to acknowledge; the sandbox waits longer but says so.
SLACK_ACK_SECONDS = 3.0
WAIT_SECONDS = 15.0
# After a request, the page waits until Rounds has been quiet this long (at most SETTLE_MAX)
# so that what its listeners do after the acknowledgement is on the next page.
SETTLE_QUIET = 0.4
SETTLE_MAX = 6.0


def slack_escape(text: str) -> str:
    """What Slack does to what people type before an app sees it: &, < and > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    seconds: float

    def json(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body) if self.body.strip() else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


@dataclass(frozen=True)
class MessageSource:
    """A button or menu in a message (or an ephemeral, when `ephemeral_id` is set)."""

    channel: str
    ts: str
    ephemeral_id: str | None = None


@dataclass(frozen=True)
class ViewSource:
    """A button or menu in a modal or on the Home tab."""

    view_id: str


@dataclass
class _Modals:
    """One person's open modals: the triggers they were opened with, and what was closed."""

    triggers: list[str] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    # What was entered in a modal that came back with errors, to show it again.
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)


class SlackSide:
    def __init__(self, *, fake: FakeSlack, school: School, app_url: str, signing_secret: str):
        self.fake = fake
        self.school = school
        self.events_url = app_url.rstrip("/") + "/slack/events"
        self._secret = signing_secret.encode()
        self._sequence = itertools.count(1)
        # Re-entrant: a response_action "clear" reads the stack while holding it.
        self._lock = threading.RLock()
        self._modals: dict[str, _Modals] = {}

    # --- what people do --------------------------------------------------------------------

    def command(self, user: str, channel: str, line: str) -> None:
        """`/mentor request @hart hello` typed in `channel`."""
        command, _, text = line.strip().partition(" ")
        if command not in COMMANDS:
            self.fake.add_ephemeral(
                user,
                channel,
                f"{command} is not a valid command. In Slack, all messages that start with "
                f'the "/" character are interpreted as commands. Rounds has {", ".join(COMMANDS)}.',
            )
            return
        response_url = self.fake.new_response_url(user=user, channel=channel)
        trigger_id = self._trigger(user)
        form = {
            "token": "sandbox-verification-token",
            "team_id": self.fake.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "mpdm",
            "user_id": user,
            "user_name": self._handle(user),
            "command": command,
            "text": self.school.escape_mentions(slack_escape(text.strip())),
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        reply = self._send_form(form)
        if reply.status != 200:
            self._slack_error(user, channel, f"{command} failed with the error", reply)
            return
        self._slow_ack_warning(user, channel, reply)
        answer = reply.json()
        text_, blocks = answer.get("text"), answer.get("blocks")
        if not text_ and not blocks:
            return
        if answer.get("response_type") == "in_channel":
            # Slack shows the command itself and the answer to everyone in the conversation.
            self.fake.post_as(user, channel, line.strip())
        self.fake.add_ephemeral(user, channel, str(text_ or ""), blocks)

    def press(
        self,
        user: str,
        source: MessageSource | ViewSource,
        action: dict[str, Any],
        state: dict[str, Any] | None = None,
    ) -> None:
        """A button, menu or picker: one block_actions request."""
        action = {**action, "action_ts": f"{time.time():.6f}"}
        payload: dict[str, Any] = {
            "type": "block_actions",
            **self._who(user),
            "trigger_id": self._trigger(user),
            "actions": [action],
        }
        channel: str | None = None
        if isinstance(source, MessageSource):
            channel = source.channel
            message = self._message_for_payload(user, source)
            payload.update(
                container={
                    "type": "message",
                    "message_ts": source.ts,
                    "channel_id": source.channel,
                    "is_ephemeral": source.ephemeral_id is not None,
                },
                channel={"id": source.channel, "name": source.channel.lower()},
                message=message,
                state={"values": state or {}},
                response_url=self.fake.new_response_url(
                    user=user,
                    channel=source.channel,
                    message_ts=None if source.ephemeral_id else source.ts,
                    ephemeral_id=source.ephemeral_id,
                ),
            )
        else:
            view = self.fake.view(source.view_id)
            if view is None:
                return
            view["state"] = {"values": state or {}}
            payload.update(container={"type": "view", "view_id": view["id"]}, view=view)
        reply = self._send_interaction(payload)
        if reply.status != 200:
            self._slack_error(
                user, channel or self.fake.dm_channel(user), "That didn't work", reply
            )

    def submit(self, user: str, view_id: str, state: dict[str, Any]) -> None:
        """The modal's submit button: view_submission, then whatever response_action says."""
        view = self.fake.view(view_id)
        if view is None:
            return
        view["state"] = {"values": state}
        payload = {
            "type": "view_submission",
            **self._who(user),
            "trigger_id": self._trigger(user),
            "view": view,
            "response_urls": [],
        }
        reply = self._send_interaction(payload)
        modals = self._modals_of(user)
        if reply.status != 200:
            with self._lock:
                modals.errors[view_id] = {"": "We had some trouble connecting. Try again?"}
                modals.drafts[view_id] = state
            return
        answer = reply.json()
        action = answer.get("response_action")
        with self._lock:
            modals.errors.pop(view_id, None)
            modals.drafts.pop(view_id, None)
            if action == "errors" and isinstance(answer.get("errors"), dict):
                modals.errors[view_id] = {str(k): str(v) for k, v in answer["errors"].items()}
                modals.drafts[view_id] = state
            elif action == "update" and isinstance(answer.get("view"), dict):
                self.fake.put_view(answer["view"], view_id=view_id)
            elif action == "push" and isinstance(answer.get("view"), dict):
                pushed = self.fake.put_view(answer["view"], previous_view_id=view_id)
                modals.pushed.append(pushed["id"])
            elif action == "clear":
                modals.closed.update(v["id"] for v in self.modal_stack(user))
            else:
                modals.closed.add(view_id)

    def close(self, user: str, view_id: str) -> None:
        """The modal's Cancel (or ×): Slack tells the app only when the view asked for it."""
        view = self.fake.view(view_id)
        with self._lock:
            self._modals_of(user).closed.add(view_id)
        if view is not None and view.get("notify_on_close"):
            self._send_interaction(
                {"type": "view_closed", **self._who(user), "view": view, "is_cleared": False}
            )

    def post(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> None:
        """A message typed into a conversation or a thread, and its `message` event."""
        text = self.school.escape_mentions(slack_escape(text))
        message = self.fake.post_as(
            user, channel, text, thread_ts=thread_ts, reply_broadcast=broadcast
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": message["channel"],
            "user": user,
            "text": text,
            "ts": message["ts"],
            "event_ts": message["ts"],
            "team": self.fake.team_id,
            "channel_type": "im" if str(message["channel"]).startswith("D") else "mpim",
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": secrets.token_hex(3),
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                    ],
                }
            ],
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = self._thread_author(str(message["channel"]), thread_ts)
            if broadcast:
                event["subtype"] = "thread_broadcast"
        self._send_event(event)

    def open_home(self, user: str) -> None:
        """Opening the app's Home tab: app_home_opened, with the view last published."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.fake.dm_channel(user),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        view = self.fake.home_view(user)
        if view is not None:
            event["view"] = view
        self._send_event(event)

    # --- what people see -------------------------------------------------------------------

    def modal_stack(self, user: str) -> list[dict[str, Any]]:
        """The person's open modals, bottom first; the last one is the one on screen."""
        modals = self._modals_of(user)
        with self._lock:
            triggers, pushed, closed = list(modals.triggers), list(modals.pushed), modals.closed
            views: dict[str, dict[str, Any]] = {}
            for trigger in triggers:
                for view in self.fake.views_opened_with(trigger):
                    views[view["id"]] = view
            for view_id in pushed:
                found = self.fake.view(view_id)
                if found is not None:
                    views[view_id] = found
            return sorted(
                (v for v in views.values() if v["id"] not in closed and v.get("type") == "modal"),
                key=lambda v: str(v["id"]),
            )

    def show_errors(
        self, user: str, view_id: str, errors: dict[str, str], state: dict[str, Any]
    ) -> None:
        """Errors Slack's own client shows without asking the app (a required field left empty)."""
        with self._lock:
            modals = self._modals_of_locked(user)
            modals.errors[view_id] = dict(errors)
            modals.drafts[view_id] = state

    def modal_draft(self, user: str, view_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._modals_of_locked(user).drafts.get(view_id, {}))

    def modal_errors(self, user: str, view_id: str) -> dict[str, str]:
        return dict(self._modals_of(user).errors.get(view_id, {}))

    def settle(self) -> None:
        """Wait until Rounds has stopped calling Slack for a moment (or SETTLE_MAX passed):
        listeners run after the acknowledgement, so their posts arrive a little later."""
        deadline = time.monotonic() + SETTLE_MAX
        seen = self.fake.activity()
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now_seen = self.fake.activity()
            if now_seen != seen:
                seen, quiet_since = now_seen, time.monotonic()
            elif time.monotonic() - quiet_since >= SETTLE_QUIET:
                return

    # --- plumbing --------------------------------------------------------------------------

    def _modals_of(self, user: str) -> _Modals:
        with self._lock:
            return self._modals_of_locked(user)

    def _modals_of_locked(self, user: str) -> _Modals:
        return self._modals.setdefault(user, _Modals())

    def _trigger(self, user: str) -> str:
        trigger = f"{next(self._sequence)}.{int(time.time())}.{secrets.token_hex(8)}"
        with self._lock:
            self._modals.setdefault(user, _Modals()).triggers.append(trigger)
        return trigger

    def _handle(self, user: str) -> str:
        member = self.school.get(user)
        return member.handle if member else user.lower()

    def _who(self, user: str) -> dict[str, Any]:
        return {
            "team": {"id": self.fake.team_id, "domain": TEAM_DOMAIN},
            "user": {
                "id": user,
                "username": self._handle(user),
                "name": self._handle(user),
                "team_id": self.fake.team_id,
            },
            "api_app_id": APP_ID,
            "token": "sandbox-verification-token",
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _message_for_payload(self, user: str, source: MessageSource) -> dict[str, Any]:
        if source.ephemeral_id is not None:
            found = next(
                (e for e in self.fake.ephemerals(user) if e["id"] == source.ephemeral_id), {}
            )
            return {
                "type": "message",
                "text": found.get("text", ""),
                "blocks": found.get("blocks") or [],
                "ts": source.ts,
            }
        message = next(
            (m for m in self.fake.messages(source.channel) if m["ts"] == source.ts), None
        )
        if message is None:
            return {"type": "message", "ts": source.ts, "text": ""}
        rendered: dict[str, Any] = {
            "type": "message",
            "user": message["user"],
            "text": message["text"],
            "ts": message["ts"],
            "blocks": message["blocks"] or [],
            "team": self.fake.team_id,
        }
        if message["user"] == self.fake.bot_user_id:
            rendered.update(bot_id=self.fake.bot_id, app_id=APP_ID)
        if message["thread_ts"]:
            rendered["thread_ts"] = message["thread_ts"]
        return rendered

    def _thread_author(self, channel: str, thread_ts: str) -> str:
        root = next((m for m in self.fake.messages(channel) if m["ts"] == thread_ts), None)
        return str(root["user"]) if root else self.fake.bot_user_id

    def _send_form(self, form: dict[str, str]) -> Reply:
        return self._send(
            urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        )

    def _send_interaction(self, payload: dict[str, Any]) -> Reply:
        return self._send_form({"payload": json.dumps(payload)})

    def _send_event(self, event: dict[str, Any]) -> Reply:
        envelope = {
            "token": "sandbox-verification-token",
            "team_id": self.fake.team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._sequence):010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": self.fake.team_id, "user_id": self.fake.bot_user_id, "is_bot": True}
            ],
            "is_ext_shared_channel": False,
        }
        return self._send(json.dumps(envelope).encode(), "application/json")

    def _send(self, body: bytes, content_type: str) -> Reply:
        """One request as Slack sends it: signed with the signing secret (v0 HMAC-SHA256)."""
        timestamp = str(int(time.time()))
        signature = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body, "sha256")
        request = urllib.request.Request(self.events_url, data=body, method="POST")
        request.add_header("Content-Type", content_type)
        request.add_header("X-Slack-Request-Timestamp", timestamp)
        request.add_header("X-Slack-Signature", "v0=" + signature.hexdigest())
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                return Reply(response.status, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), time.monotonic() - started)
        except OSError as error:
            log.warning("Rounds did not answer the sandbox: %s", error)
            return Reply(0, b"", time.monotonic() - started)

    def _slack_error(self, user: str, channel: str, what: str, reply: Reply) -> None:
        code = "operation_timeout" if reply.status == 0 else "dispatch_failed"
        self.fake.add_ephemeral(
            user,
            channel,
            f':warning: {what} "{code}" (Rounds answered HTTP {reply.status or "nothing"}). '
            "This is what Slack would show; the sandbox's terminal has Rounds' log.",
        )

    def _slow_ack_warning(self, user: str, channel: str, reply: Reply) -> None:
        if reply.seconds > SLACK_ACK_SECONDS:
            self.fake.add_ephemeral(
                user,
                channel,
                f":hourglass: Rounds took {reply.seconds:.1f} s to acknowledge. Slack gives "
                f'apps {SLACK_ACK_SECONDS:.0f} s and would have shown "operation_timeout".',
            )
