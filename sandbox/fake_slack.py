"""A fake Slack Web API server for tests, benchmarks and the sandbox.

It speaks enough of the Web API for slack_sdk's WebClient (and Bolt on top of it) to run against
it unchanged: point `base_url` at `FakeSlack.api_url`. It keeps a small world (users,
conversations, messages, views, reactions), records every request, and can be told to misbehave
(errors, 429s, 5xx answers, slow answers, rate limits) so tests can exercise the unhappy paths.

Deliberate simplifications, so nobody relies on them by accident:
* Any user id starting with "U" or "W" exists (created on first sight with default fields);
  other ids answer `user_not_found`. `add_user` overrides the defaults.
* chat.postMessage, chat.update, chat.delete and conversations.history/replies/info/members
  need a conversation the fake knows: one opened with conversations.open, one registered
  with `add_channel`, or (for chat.postMessage only, as Slack does) a user id, which is
  answered from that user's DM. chat.postEphemeral and reactions.* accept any well-formed
  conversation id, because they usually target channels and messages the fake never saw.
* Only chat.postMessage is subject to `set_rate_limit`.
* users.lookupByEmail finds only users given an email with `add_user`.
* Many workspaces ("teams"): every call acts in the team of its token. Tokens the fake did
  not issue act in the home team (`team_id`, default T0001), so single-workspace tests need
  nothing. `approve_install` plays the installer on Slack's consent page and oauth.v2.access
  exchanges its code for a token of that team (or Enterprise Grid org), optionally expiring,
  with a refresh token (token rotation). Each team has its own users, bot user, Home tabs,
  conversation IDs (the home team keeps the familiar ones) and rate-limit budget; a call
  with one team's token cannot see another team's conversations (`channel_not_found`).
  `uninstall` revokes a team's tokens (`token_revoked`). Helpers that read or build the
  world take `team=` and default to the home team.
* Files: `add_file` stands for a file a user uploaded (what a modal's file_input hands the
  app); files.info describes it and its `url_private_download` serves the bytes only with a
  bot token, as Slack does (without one Slack answers a 200 login page, and so does the
  fake). files.getUploadURLExternal → POST to the upload URL → files.completeUploadExternal
  is the files_upload_v2 flow; `uploaded_files` shows what was shared where.
* What Slack's own client does (a person typing, an ephemeral answer shown, a response_url
  replacing the message whose button was pressed) happens only through the public methods
  below (`post_as`, `add_ephemeral`, `new_response_url` with a source, `put_view`); the
  sandbox drives them, tests may too.

Standard library only, so the fake cannot drift with the dependencies it is meant to test.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import itertools
import json
import math
import secrets
import socketserver
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["FakeSlack", "SlackCall"]

_APP_ID = "A0ROUNDS"
_TEAM_NAME = "Med School"
_TEAM_DOMAIN = "med-school"
_BOT_NAME = "rounds"
_DEFAULT_TZ = "America/New_York"
_TOKEN_PREFIXES = ("xoxb-", "xapp-")
_USER_PREFIXES = ("U", "W")
_CONVERSATION_PREFIXES = ("C", "G", "D")
# Slack's documented ceilings; enforcing them catches messages that would fail in production.
_MAX_TEXT_CHARS = 40_000
_MAX_BLOCKS = 50
_MAX_VIEW_BLOCKS = 100
_MAX_MPIM_USERS = 8
_MAX_HISTORY_LIMIT = 999
_MAX_REPLIES_LIMIT = 1000
_JSON_TYPE = "application/json; charset=utf-8"
_TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class SlackCall:
    """One Web API request as the fake received it."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    # False when an injected fault (fail_next or set_rate_limit) answered instead of the
    # method, so tests can tell attempts from calls that reached the fake's Slack logic.
    answered_ok: bool = True
    # The `error` of an {"ok": false} answer from the method itself (expired_trigger_id, ...).
    error: str | None = None
    # What the method answered ({"ok": ..., ...}); None when a fault answered instead.
    answer: dict[str, Any] | None = None


class _SlackError(Exception):
    """Raised inside a method handler to answer HTTP 200 {"ok": false, "error": code}."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str = _DEFAULT_TZ
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False
    is_bot: bool = False
    email: str | None = None


@dataclass
class _File:
    id: str
    name: str
    title: str
    filetype: str
    user: str
    content: bytes | None  # None until an upload URL received the bytes
    created: int
    channels: list[str]
    initial_comment: str | None = None


@dataclass
class _Conversation:
    id: str
    members: list[str]
    created: int
    is_mpim: bool = False
    team: str = ""  # the team whose tokens see it

    @property
    def is_im(self) -> bool:
        return self.id.startswith("D")


@dataclass
class _Message:
    channel: str
    ts: str
    ts_us: int
    user: str
    bot_id: str
    text: str
    blocks: list[Any] | None
    attachments: list[Any] | None
    metadata: dict[str, Any] | None
    thread_ts: str | None
    reply_broadcast: bool
    edited_ts: str | None = None


@dataclass
class _Ephemeral:
    """A message only one person sees ("Only visible to you"); Slack never stores it."""

    id: str
    channel: str
    user: str
    ts: str
    text: str
    blocks: list[Any] | None


@dataclass(frozen=True)
class _ResponseSource:
    """Where a response_url was handed out: who, in which conversation, from which message."""

    user: str
    channel: str | None = None
    message_ts: str | None = None
    ephemeral_id: str | None = None


@dataclass(frozen=True)
class _Team:
    """Who a token acts as: a workspace, or an Enterprise Grid org for an org-wide install."""

    team_id: str
    bot_user_id: str
    bot_id: str
    name: str
    enterprise_id: str | None = None
    org_wide: bool = False


@dataclass
class _Token:
    team: _Team
    expires_at: float | None = None  # time.time(); None: never
    revoked: bool = False


@dataclass(frozen=True)
class _Fault:
    status: int
    error: str
    retry_after: int


class _Bucket:
    """A token bucket; a call needs one whole token."""

    def __init__(self, per_second: float, capacity: float, now: float) -> None:
        self.per_second = per_second
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now

    def seconds_until_token(self) -> float:
        return max(0.0, (1.0 - self.tokens) / self.per_second)


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = _JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of_json(
        cls, payload: Any, *, status: int = 200, headers: tuple[tuple[str, str], ...] = ()
    ) -> _Reply:
        return cls(status, json.dumps(payload).encode(), _JSON_TYPE, headers)

    @classmethod
    def of_text(cls, status: int, text: str) -> _Reply:
        return cls(status, text.encode(), _TEXT_TYPE)


# --- request parsing -----------------------------------------------------------------------


def _parse_form(data: str | bytes) -> dict[str, Any]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    # errors="strict" turns percent-encoded garbage into a ValueError instead of U+FFFD, so a
    # malformed body is reported rather than silently half-read.
    parsed = parse_qs(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    # slack_sdk only sends multipart when uploading files; the email parser already knows MIME.
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=email_policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("multipart body without parts")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("multipart part without a name")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            raise ValueError("multipart part without a payload")
        fields[name] = payload if part.get_filename() is not None else payload.decode("utf-8")
    return fields


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        parsed = json.loads(body.decode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("JSON body is not an object")
        return parsed
    if media_type == "multipart/form-data":
        return _parse_multipart(content_type, body)
    # Slack reads anything else as a form, and so do we.
    return _parse_form(body)


def _parse_args(query: str, content_type: str, body: bytes) -> tuple[dict[str, Any], bool]:
    """Query string, then body, merged; the flag says whether any of it was malformed."""
    args: dict[str, Any] = {}
    malformed = False
    try:
        args.update(_parse_form(query))
    except ValueError:
        malformed = True
    if body:
        try:
            args.update(_parse_body(content_type, body))
        except (ValueError, LookupError):
            malformed = True
    return args, malformed


def _basic(authorization: str) -> tuple[str, str] | None:
    """client_id and client_secret from HTTP Basic auth (oauth.v2.access)."""
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (ValueError, binascii.Error):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (client_id, secret) if colon else None


def _bearer(authorization: str) -> str | None:
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


# --- argument helpers ----------------------------------------------------------------------


def _opt_str(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise _SlackError("invalid_arguments")


def _req_str(args: dict[str, Any], name: str, error: str = "invalid_arguments") -> str:
    value = _opt_str(args, name)
    if not value:
        raise _SlackError(error)
    return value


def _truthy(value: Any) -> bool:
    # Form bodies carry "true"/"1" (slack_sdk turns True into "1"); JSON bodies carry booleans.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in {"1", "true"}


def _int_arg(args: dict[str, Any], name: str, default: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _SlackError("invalid_arguments")


def _json_arg(args: dict[str, Any], name: str, error: str) -> Any:
    """A value that form bodies carry JSON-encoded and JSON bodies carry as-is."""
    value = args.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _SlackError(error) from None
    return value


def _ts_to_us(value: str) -> int:
    # Integer microseconds, because float seconds cannot represent every ts exactly and ts
    # values are compared for equality.
    whole, _, fraction = value.strip().partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"not a Slack ts: {value!r}")
    return int(whole) * 1_000_000 + int((fraction + "000000")[:6])


def _us_to_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _ts_arg(args: dict[str, Any], name: str, error: str) -> int | None:
    value = _opt_str(args, name)
    if not value:
        return None
    try:
        return _ts_to_us(value)
    except ValueError:
        raise _SlackError(error) from None


def _encode_cursor(micros: int) -> str:
    # Slack's cursors are base64 of "next_ts:<ts>"; mimicking it keeps log output familiar.
    return base64.b64encode(f"next_ts:{micros}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
        prefix, _, micros = decoded.partition(":")
        if prefix != "next_ts":
            raise ValueError(cursor)
        return int(micros)
    except (ValueError, binascii.Error):
        raise _SlackError("invalid_cursor") from None


def _paginate(
    items: list[_Message], cursor: str | None, limit: int, *, newest_first: bool
) -> tuple[list[_Message], str]:
    start = 0
    if cursor:
        target = _decode_cursor(cursor)
        # The cursor names the first message of the page, so messages posted or deleted
        # between pages cannot shift it the way an offset would.
        start = next(
            (
                index
                for index, message in enumerate(items)
                if (message.ts_us <= target if newest_first else message.ts_us >= target)
            ),
            len(items),
        )
    page = items[start : start + limit]
    rest = items[start + limit :]
    return page, _encode_cursor(rest[0].ts_us) if rest else ""


def _conversation_id(user_ids: Iterable[str], team: str = "") -> str:
    """Derived from the member set, so the same people get the same id in every test run;
    in a team other than the home team (`team`), the same people have other conversations."""
    members = sorted(set(user_ids))
    digest = hashlib.sha1((team + ",".join(members)).encode()).hexdigest()[:10].upper()
    return ("D" if len(members) == 1 else "G") + digest


def _is_conversation_id(value: str) -> bool:
    return len(value) > 1 and value.startswith(_CONVERSATION_PREFIXES + _USER_PREFIXES)


def _fault_reply(fault: _Fault) -> _Reply:
    if fault.status == HTTPStatus.TOO_MANY_REQUESTS:
        return _Reply.of_json(
            {"ok": False, "error": "ratelimited"},
            status=fault.status,
            headers=(("Retry-After", str(fault.retry_after)),),
        )
    if fault.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        # Slack's edge answers 5xx with an HTML page, not JSON; clients must cope with that.
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        page = (
            f"<html><head><title>{fault.status} {phrase}</title></head>"
            f"<body><h1>{fault.status} {phrase}</h1></body></html>"
        )
        return _Reply(fault.status, page.encode(), "text/html; charset=utf-8")
    return _Reply.of_json({"ok": False, "error": fault.error}, status=fault.status)


# --- HTTP plumbing -------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops bursts of concurrent connects, and the
    # client's SYN retry then adds a second or more to the call: ruinous for benchmarks.
    request_queue_size = 128

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall for seconds on a
        # machine with slow DNS; the fake only ever needs the numeric address.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (see FakeSlack.delay) makes our reply fail with a socket error;
        # that is the expected outcome of the test, not something to print a traceback for.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 lets keep-alive clients (aiohttp, benchmarks) reuse connections; urllib-based
    # clients send "Connection: close" and are served one request per connection.
    protocol_version = "HTTP/1.1"
    server_version = "FakeSlack/1.0"
    # Headers and body go out in separate writes; with Nagle on, a keep-alive client's
    # delayed ACK would stall every second answer by ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._respond()

    def do_POST(self) -> None:
        self._respond()

    def log_message(self, format: str, *args: Any) -> None:
        # Tests read traffic through FakeSlack.calls; a line per request on stderr is noise.
        return

    def _respond(self) -> None:
        fake = cast(_Server, self.server).fake
        try:
            body = self._read_body()
        except (ValueError, OSError):
            # Without a trustworthy length we cannot find the next request on this connection.
            self.close_connection = True
            self._write(_Reply.of_json({"ok": False, "error": "invalid_arguments"}, status=400))
            return
        try:
            reply = fake._serve(
                self.command,
                self.path,
                self.headers.get("Content-Type", ""),
                self.headers.get("Authorization", ""),
                body,
            )
        except Exception:
            # Only a bug in the fake gets here; say so loudly instead of answering plausibly.
            trace = traceback.format_exc()
            sys.stderr.write(f"fake_slack internal error:\n{trace}")
            reply = _Reply.of_text(500, f"fake_slack internal error\n{trace}")
        self._write(reply)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline(65537).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers carry nothing the fake needs
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, reply: _Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:
            # The client has gone (typically after its own timeout); nobody is left to tell.
            self.close_connection = True


# --- the fake ------------------------------------------------------------------------------


class FakeSlack:
    """An in-process Slack Web API on 127.0.0.1; see the module docstring for its scope."""

    def __init__(
        self, *, team_id: str = "T0001", bot_user_id: str = "UBOT", bot_id: str = "BBOT"
    ) -> None:
        self._home = _Team(team_id, bot_user_id, bot_id, _TEAM_NAME)
        # The team the request being answered acts in (its token's); the home team otherwise.
        self._acting = self._home
        # The app's credentials for oauth.v2.access, and what it hands out (set_oauth_app).
        self.client_id, self.client_secret = "1111111111.2222222222", "fakeclientsecret0000"
        self._token_lifetime: int | None = None
        # These survive reset() too, so tokens and codes never repeat within a process.
        self._token_numbers = itertools.count(1)
        # One lock guards all state; the Condition on it wakes wait_for/wait_for_response.
        self._cond = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # These survive reset(), so ts values, view ids and response URLs never repeat within
        # a process and a stale one from an earlier test cannot collide with a fresh one.
        self._last_ts_us = 0
        self._view_numbers = itertools.count(1)
        self._response_numbers = itertools.count(1)
        self._ephemeral_numbers = itertools.count(1)
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.lookupByEmail": self._users_lookup_by_email,
            "files.info": self._files_info,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "oauth.v2.access": self._oauth_v2_access,
        }
        self._clear()

    # --- teams -----------------------------------------------------------------------------

    @property
    def team_id(self) -> str:
        """The team being answered for; outside a request, the home team."""
        return self._acting.team_id

    @property
    def bot_user_id(self) -> str:
        return self._acting.bot_user_id

    @property
    def bot_id(self) -> str:
        return self._acting.bot_id

    @property
    def _users(self) -> dict[str, _User]:
        team = self._acting
        found = self._team_users.get(team.team_id)
        if found is None:
            bot = _User(team.bot_user_id, _BOT_NAME, _BOT_NAME.title(), is_bot=True)
            found = self._team_users[team.team_id] = {team.bot_user_id: bot}
        return found

    @property
    def _home_views(self) -> dict[str, str]:
        return self._team_home_views.setdefault(self._acting.team_id, {})

    @contextmanager
    def _acting_in(self, team: str | None) -> Iterator[None]:
        """Answer (or build the world) as `team`; call with the lock held."""
        previous = self._acting
        self._acting = self._team(team) if team else self._home
        try:
            yield
        finally:
            self._acting = previous

    def _team(self, team_id: str) -> _Team:
        if team_id == self._home.team_id:
            return self._home
        found = self._teams.get(team_id)
        if found is None:
            raise ValueError(f"the fake knows no team {team_id!r}; approve_install it first")
        return found

    def _salt(self) -> str:
        """Conversation IDs of the home team stay as they always were."""
        return "" if self._acting is self._home else self._acting.team_id

    def _sees(self, conversation: _Conversation) -> bool:
        return conversation.team == self._acting.team_id

    def _team_of(self, token: str | None) -> _Team:
        issued = self._tokens.get(token or "")
        return issued.team if issued is not None else self._home

    def _token_problem(self, token: str) -> str | None:
        """What Slack answers a token that cannot be used; None when it can."""
        if not token.startswith(_TOKEN_PREFIXES):
            return "invalid_auth"
        issued = self._tokens.get(token)
        if issued is None:
            return "token_revoked" if self._home_revoked and token.startswith("xoxb-") else None
        if issued.revoked:
            return "token_revoked"
        if issued.expires_at is not None and issued.expires_at <= time.time():
            return "token_expired"
        return None

    # --- installing (OAuth) ------------------------------------------------------------------

    def set_oauth_app(
        self, client_id: str, client_secret: str, *, token_lifetime: int | None = None
    ) -> None:
        """The app's credentials; with `token_lifetime` (seconds) the app has token rotation
        on: tokens expire and come with a refresh token."""
        with self._cond:
            self.client_id, self.client_secret = client_id, client_secret
            self._token_lifetime = token_lifetime

    def approve_install(
        self,
        authorize_url: str,
        *,
        team_id: str,
        installer: str = "U0INSTALLER",
        team_name: str | None = None,
        enterprise_id: str | None = None,
        org_wide: bool = False,
    ) -> dict[str, str]:
        """What the installer's click on "Allow" does on Slack's consent page: the query
        Slack's redirect carries back to the app (`code`, and `state` when the app sent one).
        `org_wide` installs into the whole Enterprise Grid org `enterprise_id`."""
        query = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
        if query.get("client_id") != self.client_id:
            raise AssertionError(f"the consent page was opened for client {query.get('client_id')}")
        if org_wide and not enterprise_id:
            raise ValueError("an org-wide install needs enterprise_id")
        identity = enterprise_id if org_wide else team_id
        assert identity is not None
        with self._cond:
            team = self._teams.get(identity) if identity != self._home.team_id else self._home
            if team is None:
                suffix = identity[1:]
                team = _Team(
                    identity,
                    bot_user_id=f"UB{suffix}",
                    bot_id=f"BB{suffix}",
                    name=team_name or f"School {identity}",
                    enterprise_id=enterprise_id,
                    org_wide=org_wide,
                )
                self._teams[identity] = team
            if team is self._home:
                self._home_revoked = False
            code = f"code-{next(self._token_numbers)}-{secrets.token_hex(6)}"
            self._codes[code] = (team, installer)
            self._installed_scopes[identity] = query.get("scope", "")
        redirect = {"code": code}
        if "state" in query:
            redirect["state"] = query["state"]
        return redirect

    def installed_scopes(self, team_id: str) -> list[str]:
        """The bot scopes the app asked for when `team_id` installed it."""
        with self._cond:
            scopes = self._installed_scopes.get(team_id, "")
        return [scope for scope in scopes.split(",") if scope]

    def uninstall(self, team_id: str) -> None:
        """The app removed from a team (or org): every token it had there stops working."""
        with self._cond:
            for issued in self._tokens.values():
                if issued.team.team_id == team_id:
                    issued.revoked = True
            for refresh, team in list(self._refresh_tokens.items()):
                if team.team_id == team_id:
                    del self._refresh_tokens[refresh]
            if team_id == self._home.team_id:
                self._home_revoked = True

    def reinstall(self, team_id: str) -> None:
        """The home team adds the app again: tokens the fake did not issue work once more
        (as a new SLACK_BOT_TOKEN would). Other teams install with `approve_install`."""
        with self._cond:
            if team_id == self._home.team_id:
                self._home_revoked = False

    def tokens_of(self, team_id: str) -> list[str]:
        """Every access token issued in a team (or org), oldest first, revoked ones too."""
        with self._cond:
            return [
                token for token, issued in self._tokens.items() if issued.team.team_id == team_id
            ]

    def _issue(self, team: _Team) -> dict[str, Any]:
        number = next(self._token_numbers)
        token = f"xoxb-{team.team_id}-{number}-{secrets.token_hex(8)}"
        lifetime = self._token_lifetime
        self._tokens[token] = _Token(team, None if lifetime is None else time.time() + lifetime)
        issued: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if lifetime is not None:
            refresh = f"xoxe-1-{team.team_id}-{number}-{secrets.token_hex(8)}"
            self._refresh_tokens[refresh] = team
            issued.update(refresh_token=refresh, expires_in=lifetime)
        return issued

    def _clear(self) -> None:
        self._calls: list[SlackCall] = []
        self._acting = self._home
        self._teams: dict[str, _Team] = {}
        self._tokens: dict[str, _Token] = {}
        self._refresh_tokens: dict[str, _Team] = {}
        self._codes: dict[str, tuple[_Team, str]] = {}  # code -> (team, installer)
        self._home_revoked = False
        self._installed_scopes: dict[str, str] = {}
        self._team_users: dict[str, dict[str, _User]] = {}
        self._conversations: dict[str, _Conversation] = {}
        self._messages: dict[str, list[_Message]] = {}
        self._reactions: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._external_ids: dict[str, str] = {}
        self._team_home_views: dict[str, dict[str, str]] = {}
        self._files: dict[str, _File] = {}
        self._upload_tokens: dict[str, str] = {}  # upload URL path -> file id
        self._response_paths: set[str] = set()
        self._response_posts: list[tuple[str, dict[str, Any]]] = []
        self._response_sources: dict[str, _ResponseSource] = {}
        self._ephemerals: list[_Ephemeral] = []
        self._view_triggers: dict[str, list[str]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str, deque[float]] = {}
        # Rate limits by team (None: every team), each team with buckets of its own.
        self._limits: dict[str | None, tuple[float | None, float | None]] = {}
        self._workspace_buckets: dict[str, _Bucket] = {}
        self._channel_buckets: dict[tuple[str, str], _Bucket] = {}
        self._triggers: dict[str, float] = {}
        # Seconds a trigger_id from new_trigger_id() may open a view; None: forever (default).
        self.trigger_life: float | None = None
        # Where apps.connections.open sends Socket Mode clients (tests/fake_socket_mode.py).
        self.socket_mode_url = "ws://127.0.0.1:1/"

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is not None:
            raise RuntimeError("FakeSlack is already running")
        server = _Server(self)
        # A short poll interval keeps stop() quick; the cost is a few idle wake-ups a second.
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-slack:{server.server_port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def reset(self) -> None:
        """Forget everything a test did, including faults, delays and rate limits."""
        with self._cond:
            self._clear()
            self._cond.notify_all()

    # --- world state -----------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = _DEFAULT_TZ,
        is_admin: bool = False,
        is_owner: bool = False,
        deleted: bool = False,
        is_bot: bool = False,
        name: str | None = None,
        email: str | None = None,
        team: str | None = None,
    ) -> None:
        if not user_id.startswith(_USER_PREFIXES):
            raise ValueError(f"Slack user ids start with U or W: {user_id!r}")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            # Fail here, in the test's own stack, rather than later inside a request thread.
            raise ValueError(f"unknown IANA time zone: {tz!r}") from None
        user = self._default_user(user_id)
        if name is not None:
            user.name = user.real_name = name
        user.tz, user.is_admin, user.is_owner = tz, is_admin, is_owner
        user.deleted, user.is_bot = deleted, is_bot
        user.email = email
        with self._cond, self._acting_in(team):
            self._users[user_id] = user

    def add_channel(
        self, channel_id: str, *, members: Iterable[str] = (), team: str | None = None
    ) -> None:
        if not channel_id.startswith(_CONVERSATION_PREFIXES) or len(channel_id) < 2:
            raise ValueError(f"conversation ids start with C, G or D: {channel_id!r}")
        with self._cond, self._acting_in(team):
            member_list = list(dict.fromkeys([*members, self.bot_user_id]))
            existing = self._conversations.get(channel_id)
            if existing is not None:
                existing.members = list(dict.fromkeys([*existing.members, *member_list]))
                return
            self._conversations[channel_id] = _Conversation(
                channel_id, member_list, created=int(time.time()), team=self.team_id
            )

    def messages(
        self, channel: str | None = None, *, team: str | None = None
    ) -> list[dict[str, Any]]:
        """Posted messages, oldest first; a user id stands for the bot's DM with that user
        (in `team`, default the home team). Without a channel: every team's messages."""
        with self._cond, self._acting_in(team):
            if channel is None:
                found = sorted(
                    (m for ms in self._messages.values() for m in ms), key=lambda m: m.ts_us
                )
            else:
                if channel.startswith(_USER_PREFIXES):
                    channel = _conversation_id([channel], self._salt())
                found = list(self._messages.get(channel, []))
            return [self._public_message(m) for m in found]

    def users(self) -> list[dict[str, Any]]:
        """Every user the fake knows (the bot included), as users.info renders them."""
        with self._cond:
            return [self._render_user(user) for user in self._users.values()]

    def conversations_of(self, user_id: str) -> list[dict[str, Any]]:
        """The conversations `user_id` is a member of, oldest first, with their members."""
        with self._cond:
            return [
                {**self._render_conversation(c), "members": list(c.members)}
                for c in self._conversations.values()
                if user_id in c.members
            ]

    def dm_channel(self, user_id: str) -> str:
        """The ID of the bot's DM with `user_id` (the app's Messages tab), opened if need be."""
        with self._cond:
            return self._open([self._user(user_id).id])[0].id

    def activity(self) -> int:
        """A number that changes whenever a request arrives or the world changes, so a page
        can tell cheaply whether there is anything new to show."""
        with self._cond:
            return (
                len(self._calls)
                + len(self._response_posts)
                + len(self._ephemerals)
                + sum(len(messages) for messages in self._messages.values())
                + len(self._views)
            )

    def post_as(
        self,
        user_id: str,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
    ) -> dict[str, Any]:
        """A person's own message, as Slack stores it when they type one; the caller sends the
        matching `message` event to the app. A user id as `channel` means their DM with the bot.
        """
        with self._cond:
            if channel.startswith(_USER_PREFIXES):
                channel = self._open([channel])[0].id
            conversation = self._conversations.get(channel)
            if conversation is None or user_id not in conversation.members:
                raise ValueError(f"{user_id} is not in conversation {channel}")
            if thread_ts is not None and self._find_message(channel, thread_ts) is None:
                raise ValueError(f"no message {thread_ts} in {channel} to reply to")
            message = self._append_message(
                channel,
                user_id,
                text,
                None,
                thread_ts=thread_ts,
                reply_broadcast=reply_broadcast,
            )
            self._cond.notify_all()
            return self._public_message(message)

    def add_ephemeral(
        self, user_id: str, channel: str, text: str, blocks: list[Any] | None = None
    ) -> dict[str, Any]:
        """An ephemeral Slack shows `user_id` in `channel`, as it does with the text of a slash
        command's acknowledgement or an error it reports itself."""
        with self._cond:
            ephemeral = self._store_ephemeral(channel, user_id, text, blocks)
            self._cond.notify_all()
            return self._public_ephemeral(ephemeral)

    def ephemerals(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages (from chat.postEphemeral, response URLs, add_ephemeral), oldest
        first; only those `user_id` sees, when given."""
        with self._cond:
            return [
                self._public_ephemeral(e)
                for e in self._ephemerals
                if user_id is None or e.user == user_id
            ]

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._cond:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def views_opened_with(self, trigger_id: str) -> list[dict[str, Any]]:
        """The views views.open and views.push opened with `trigger_id`, in order, as they
        are now (views.update changes them in place)."""
        with self._cond:
            return [
                copy.deepcopy(self._views[view_id])
                for view_id in self._view_triggers.get(trigger_id, [])
            ]

    def home_view(self, user_id: str, *, team: str | None = None) -> dict[str, Any] | None:
        """The Home tab last published for `user_id` (in `team`, default the home team)."""
        with self._cond, self._acting_in(team):
            view_id = self._home_views.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def put_view(
        self,
        spec: dict[str, Any],
        *,
        view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> dict[str, Any]:
        """What Slack does with a view_submission's response_action: `update` replaces
        `view_id`; `push` stores a new view on top of `previous_view_id`."""
        with self._cond:
            current = self._views.get(view_id or "")
            view = self._store_view(
                spec,
                view_id=view_id if current is not None else None,
                root_view_id=current["root_view_id"] if current is not None else None,
                previous_view_id=(
                    current["previous_view_id"] if current is not None else previous_view_id
                ),
            )
            self._cond.notify_all()
            return view

    def add_file(
        self, name: str, content: bytes, *, user: str = "U0UPLOADER", filetype: str | None = None
    ) -> dict[str, Any]:
        """A file `user` uploaded; returns it as Slack describes it (e.g. in a file_input)."""
        kind = filetype or (name.rsplit(".", 1)[-1].lower() if "." in name else "text")
        with self._cond:
            file = _File(
                id=self._new_file_id(),
                name=name,
                title=name,
                filetype=kind,
                user=user,
                content=bytes(content),
                created=int(time.time()),
                channels=[],
            )
            self._files[file.id] = file
            return self._render_file(file)

    def uploaded_files(
        self, channel: str | None = None, *, team: str | None = None
    ) -> list[dict[str, Any]]:
        """Files the app shared with files_upload_v2: name, title, channel, comment, content."""
        with self._cond, self._acting_in(team):
            if channel is not None and channel.startswith(_USER_PREFIXES):
                channel = _conversation_id([channel], self._salt())
            return [
                {
                    "id": f.id,
                    "name": f.name,
                    "title": f.title,
                    "channels": list(f.channels),
                    "initial_comment": f.initial_comment,
                    "content": f.content,
                }
                for f in self._files.values()
                if f.channels and (channel is None or channel in f.channels)
            ]

    # --- recorded traffic ------------------------------------------------------------------

    @property
    def calls(self) -> list[SlackCall]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._cond:
            return [call for call in self._calls if call.method == method]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[SlackCall], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[SlackCall]:
        """Block until `count` matching calls have arrived; return the first `count` of them."""

        def matching() -> list[SlackCall]:
            return [
                call
                for call in self._calls
                if call.method == method and (predicate is None or predicate(call))
            ]

        with self._cond:
            found = self._wait(matching, count, timeout)
            if len(found) >= count:
                return found[:count]
            received = "\n".join(
                f"  {call.method} answered_ok={call.answered_ok} {_shorten(call.args)}"
                for call in self._calls[-50:]
            )
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} matching {method!r} call(s); "
                f"{len(found)} matched. Calls received so far ({len(self._calls)}):\n"
                f"{received or '  (none)'}"
            )

    def new_response_url(
        self,
        *,
        user: str | None = None,
        channel: str | None = None,
        message_ts: str | None = None,
        ephemeral_id: str | None = None,
    ) -> str:
        """A one-off URL on this server shaped like the response_url of a slash command.

        Without `user` the posts are only recorded (response_url_posts). With it they act as on
        Slack: `replace_original`/`delete_original` change the message (`message_ts` in
        `channel`) or the ephemeral (`ephemeral_id`) the request came from; anything else is a
        new ephemeral for `user` in `channel`, or a message there with response_type in_channel.
        """
        number = next(self._response_numbers)
        path = f"/commands/{self.team_id}/{number}/{secrets.token_hex(12)}"
        with self._cond:
            self._response_paths.add(path)
            if user is not None:
                self._response_sources[path] = _ResponseSource(
                    user, channel, message_ts, ephemeral_id
                )
        return self.base_url + path

    def new_trigger_id(self) -> str:
        """A trigger_id for a request a test sends, remembered with when it was issued, so
        views.open/push refuse it with `expired_trigger_id` once `trigger_life` has passed
        (Slack's is 3 seconds). Trigger ids the fake did not issue never expire."""
        number = next(self._response_numbers)
        trigger_id = f"{number}.{secrets.randbelow(10**12)}.{secrets.token_hex(8)}"
        with self._cond:
            self._triggers[trigger_id] = time.monotonic()
        return trigger_id

    def response_url_posts(self, url: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return copy.deepcopy(self._posts_to(url))

    def wait_for_response(
        self, url: str, *, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        with self._cond:
            found = self._wait(lambda: self._posts_to(url), count, timeout)
            if len(found) >= count:
                return copy.deepcopy(found[:count])
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} post(s) to {url}; got "
                f"{len(found)}: {_shorten(found)} ({len(self._response_posts)} to all URLs)"
            )

    # --- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        team: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with a failure instead of the real answer.

        429 -> Retry-After (default 1) and {"ok": false, "error": "ratelimited"}; >= 500 -> an
        HTML page with that status, as Slack's edge sends; otherwise {"ok": false, "error":
        error} (default "fatal_error") with that status. With `team`, only calls acting in
        that team fail.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if status != HTTPStatus.OK and not 400 <= status <= 599:
            raise ValueError(f"status must be 200 or an HTTP error status, not {status}")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after cannot be negative")
        fault = _Fault(status, error or "fatal_error", 1 if retry_after is None else retry_after)
        key = f"{method}@{team}" if team else method
        with self._cond:
            self._faults.setdefault(key, deque()).extend([fault] * times)

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Sleep `seconds` before answering each of the next `times` calls of `method`.

        The call takes effect (and is recorded) on arrival; only the answer is late, which is
        how a slow Slack looks to a client that times out and retries.
        """
        if seconds < 0 or times < 1:
            raise ValueError("seconds must be >= 0 and times >= 1")
        with self._cond:
            self._delays.setdefault(method, deque()).extend([seconds] * times)

    def set_rate_limit(
        self,
        *,
        per_channel_per_second: float | None = None,
        workspace_per_minute: float | None = None,
        team: str | None = None,
    ) -> None:
        """Limit chat.postMessage like Slack does; None lifts a limit. Replaces earlier limits
        (of `team`, or of every team without one; a team's own limits win over those).

        Token buckets: a channel may burst max(1, rate) messages, each workspace a minute's
        worth of its own budget.
        """
        for value in (per_channel_per_second, workspace_per_minute):
            if value is not None and value <= 0:
                raise ValueError("rate limits must be positive (or None for no limit)")
        with self._cond:
            self._limits[team] = (per_channel_per_second, workspace_per_minute)
            self._channel_buckets = {}
            self._workspace_buckets = {}

    # --- internals: waiting, rendering -----------------------------------------------------

    def _wait(self, collect: Callable[[], list[Any]], count: int, timeout: float) -> list[Any]:
        """Wait (holding the Condition) until collect() has `count` items or time runs out."""
        deadline = time.monotonic() + timeout
        found = collect()
        while len(found) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._cond.wait(remaining)
            found = collect()
        return found

    def _posts_to(self, url: str | None) -> list[dict[str, Any]]:
        path = None if url is None else urlsplit(url).path
        return [body for p, body in self._response_posts if path is None or p == path]

    def _default_user(self, user_id: str) -> _User:
        return _User(user_id, user_id.lower(), f"User {user_id}")

    def _user(self, user_id: str) -> _User:
        user = self._users.get(user_id)
        if user is not None:
            return user
        if not user_id.startswith(_USER_PREFIXES) or len(user_id) < 2:
            raise _SlackError("user_not_found")
        return self._default_user(user_id)

    def _render_user(self, user: _User) -> dict[str, Any]:
        now = datetime.now(ZoneInfo(user.tz))
        offset = now.utcoffset()
        profile: dict[str, Any] = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "avatar_hash": "",
            "title": "",
            "phone": "",
            "skype": "",
            "status_text": "",
            "status_emoji": "",
            "fields": {},
            **({"email": user.email} if user.email else {}),
            "team": self.team_id,
        }
        if user.id == self.bot_user_id:
            profile.update(bot_id=self.bot_id, api_app_id=_APP_ID, always_active=True)
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": now.tzname() or user.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }

    def _render_conversation(self, conversation: _Conversation) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": conversation.id,
            "created": conversation.created,
            "is_archived": False,
            "is_im": conversation.is_im,
            "is_mpim": conversation.is_mpim,
            "is_channel": conversation.id.startswith("C"),
            "is_group": conversation.id.startswith("G") and not conversation.is_mpim,
            "is_private": not conversation.id.startswith("C"),
            "is_member": True,
            "context_team_id": self.team_id,
        }
        if conversation.is_im:
            others = [m for m in conversation.members if m != self.bot_user_id]
            rendered["user"] = others[0] if others else self.bot_user_id
            rendered["is_open"] = True
        else:
            rendered["name"] = conversation.id.lower()
            rendered["num_members"] = len(conversation.members)
        return rendered

    def _threads(self, channel: str) -> dict[str, list[_Message]]:
        """Replies by root ts, in one pass, so rendering a page stays linear in its size."""
        threads: dict[str, list[_Message]] = {}
        for message in self._messages.get(channel, []):
            if message.thread_ts is not None and message.thread_ts != message.ts:
                threads.setdefault(message.thread_ts, []).append(message)
        return threads

    def _render_message(
        self,
        message: _Message,
        *,
        include_metadata: bool,
        threads: dict[str, list[_Message]] | None = None,
    ) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "type": "message",
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
            "team": self.team_id,
        }
        if message.bot_id:  # people's own messages carry no bot_id, so apps can tell them apart
            rendered.update(bot_id=message.bot_id, app_id=_APP_ID)
        if message.blocks is not None:
            rendered["blocks"] = copy.deepcopy(message.blocks)
        if message.attachments is not None:
            rendered["attachments"] = copy.deepcopy(message.attachments)
        if message.thread_ts is not None:
            rendered["thread_ts"] = message.thread_ts
            rendered["parent_user_id"] = self.bot_user_id
            if message.reply_broadcast:
                rendered["subtype"] = "thread_broadcast"
        replies: list[_Message] = []
        if message.thread_ts is None:
            threads = self._threads(message.channel) if threads is None else threads
            replies = threads.get(message.ts, [])
        if replies:
            repliers = list(dict.fromkeys(m.user for m in replies))
            rendered.update(
                thread_ts=message.ts,
                reply_count=len(replies),
                reply_users=repliers,
                reply_users_count=len(repliers),
                latest_reply=replies[-1].ts,
            )
        reactions = self._reactions.get((message.channel, message.ts))
        if reactions:
            rendered["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in reactions.items()
            ]
        if message.edited_ts is not None:
            rendered["edited"] = {"user": message.user, "ts": message.edited_ts}
        if include_metadata and message.metadata is not None:
            rendered["metadata"] = copy.deepcopy(message.metadata)
        return rendered

    def _public_message(self, message: _Message) -> dict[str, Any]:
        reactions = self._reactions.get((message.channel, message.ts), {})
        return copy.deepcopy(
            {
                "channel": message.channel,
                "ts": message.ts,
                "thread_ts": message.thread_ts,
                "user": message.user,
                "text": message.text,
                "blocks": message.blocks,
                "attachments": message.attachments,
                "metadata": message.metadata,
                "reply_broadcast": message.reply_broadcast,
                "reactions": reactions,
            }
        )

    def _next_ts(self) -> tuple[str, int]:
        # Wall-clock based so that `oldest`/`latest` computed from time.time() by the app
        # select what they would on Slack; bumped by 1us when calls share a microsecond.
        micros = max(self._last_ts_us + 1, time.time_ns() // 1_000)
        self._last_ts_us = micros
        return _us_to_ts(micros), micros

    # --- internals: dispatch ---------------------------------------------------------------

    def _serve(
        self, command: str, path: str, content_type: str, authorization: str, body: bytes
    ) -> _Reply:
        parts = urlsplit(path)
        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :].strip("/")
            return self._serve_api(method, parts.query, content_type, authorization, body)
        if parts.path.startswith("/files-pri/"):
            return self._serve_download(parts.path, authorization)
        if parts.path.startswith("/upload/v1/"):
            return self._serve_upload(command, parts.path, body)
        with self._cond:
            known = parts.path in self._response_paths
        if not known:
            return _Reply.of_text(404, "no_service")
        if command != "POST":
            return _Reply.of_text(405, "method_not_allowed")
        return self._serve_response_url(parts.path, body)

    def _serve_api(
        self, method: str, query: str, content_type: str, authorization: str, body: bytes
    ) -> _Reply:
        arrived = time.monotonic()
        args, malformed = _parse_args(query, content_type, body)
        token = _bearer(authorization)
        if token is None and isinstance(args.get("token"), str) and args["token"]:
            token = args["token"]
        credentials = _basic(authorization)
        if credentials is not None and "client_id" not in args:
            args["client_id"], args["client_secret"] = credentials
        with self._cond:
            self._acting = self._team_of(token)
            try:
                fault = self._take(self._faults, f"{method}@{self.team_id}") or self._take(
                    self._faults, method
                )
                delay = self._take(self._delays, method)
                if fault is None and method == "chat.postMessage" and not malformed:
                    fault = self._rate_limit(args, arrived)
                error = None
                answer: dict[str, Any] | None = None
                if fault is not None:
                    reply = _fault_reply(fault)
                else:
                    answer = self._answer(method, args, token, malformed)
                    error = None if answer.get("ok") else str(answer.get("error"))
                    reply = _Reply.of_json(answer)
            finally:
                self._acting = self._home
            self._calls.append(
                SlackCall(method, args, token, arrived, fault is None, error, answer)
            )
            self._cond.notify_all()
        # Outside the lock: a slow answer must not stall every other request and waiter.
        if delay:
            time.sleep(delay)
        return reply

    @staticmethod
    def _take(queues: dict[str, deque[Any]], method: str) -> Any:
        queue = queues.get(method)
        return queue.popleft() if queue else None

    def _rate_limit(self, args: dict[str, Any], now: float) -> _Fault | None:
        team = self.team_id
        channel_rate, workspace_rate = (
            self._limits.get(team)
            or self._limits.get(None)
            or (
                None,
                None,
            )
        )
        buckets: list[_Bucket] = []
        if channel_rate is not None:
            channel = args.get("channel")
            key = str(channel) if channel is not None else ""
            if key.startswith(_USER_PREFIXES):
                key = _conversation_id([key], self._salt())  # posts to a user id: their DM
            bucket = self._channel_buckets.get((team, key))
            if bucket is None:
                bucket = _Bucket(channel_rate, max(1.0, channel_rate), now)
                self._channel_buckets[(team, key)] = bucket
            buckets.append(bucket)
        if workspace_rate is not None:
            bucket = self._workspace_buckets.get(team)
            if bucket is None:
                bucket = _Bucket(workspace_rate / 60.0, max(1.0, workspace_rate), now)
                self._workspace_buckets[team] = bucket
            buckets.append(bucket)
        for bucket in buckets:
            bucket.refill(now)
        wait = max((bucket.seconds_until_token() for bucket in buckets), default=0.0)
        if wait > 0:
            # Refused calls spend nothing, as on Slack; Retry-After is whole seconds, >= 1.
            return _Fault(HTTPStatus.TOO_MANY_REQUESTS, "ratelimited", max(1, math.ceil(wait)))
        for bucket in buckets:
            bucket.tokens -= 1.0
        return None

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, malformed: bool
    ) -> dict[str, Any]:
        handler = self._methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        if method == "oauth.v2.access":
            token = "client credentials"  # the app's client ID and secret authenticate it
        if not token:
            return {"ok": False, "error": "not_authed"}
        if method != "oauth.v2.access":
            problem = self._token_problem(token)
            if problem is not None:
                return {"ok": False, "error": problem}
        if malformed:
            return {"ok": False, "error": "invalid_arguments"}
        try:
            return handler(args)
        except _SlackError as error:
            return {"ok": False, "error": error.code}

    def _serve_download(self, path: str, authorization: str) -> _Reply:
        token = _bearer(authorization)
        with self._cond:
            file_id = path.split("/")[2].rsplit("-", 1)[-1]
            file = self._files.get(file_id)
            if file is None or file.content is None:
                return _Reply.of_text(404, "file not found")
            if token is None or not token.startswith(_TOKEN_PREFIXES):
                # Slack serves its sign-in page, not the file, to a request without a token.
                page = "<!DOCTYPE html><html><body>Sign in to Slack</body></html>"
                return _Reply(200, page.encode(), "text/html; charset=utf-8")
            return _Reply(200, file.content, "application/octet-stream")

    def _serve_upload(self, command: str, path: str, body: bytes) -> _Reply:
        if command != "POST":
            return _Reply.of_text(405, "method_not_allowed")
        with self._cond:
            file_id = self._upload_tokens.pop(path, None)
            file = self._files.get(file_id or "")
            if file is None:
                return _Reply.of_text(404, "upload URL unknown or used")
            file.content = bytes(body)
            self._cond.notify_all()
        return _Reply.of_text(200, f"OK - {len(body)}")

    def _serve_response_url(self, path: str, body: bytes) -> _Reply:
        # A response_url takes a JSON object whatever the Content-Type says; anything else is
        # refused with a non-200 so that callers checking the status notice.
        try:
            payload = json.loads(body.decode("utf-8"))
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _Reply.of_json({"ok": False, "error": "invalid_arguments"}, status=400)
        with self._cond:
            self._response_posts.append((path, payload))
            source = self._response_sources.get(path)
            if source is not None:
                self._apply_response(source, payload)
            self._cond.notify_all()
        return _Reply.of_json({"ok": True})

    def _apply_response(self, source: _ResponseSource, payload: dict[str, Any]) -> None:
        text = payload.get("text") if isinstance(payload.get("text"), str) else ""
        blocks = payload.get("blocks") if isinstance(payload.get("blocks"), list) else None
        ephemeral = next((e for e in self._ephemerals if e.id == source.ephemeral_id), None)
        message = (
            self._find_message(source.channel, source.message_ts)
            if source.channel and source.message_ts
            else None
        )
        if _truthy(payload.get("delete_original")):
            if ephemeral is not None:
                self._ephemerals.remove(ephemeral)
            elif message is not None:
                self._messages[message.channel].remove(message)
            return
        if _truthy(payload.get("replace_original")) and (ephemeral or message):
            if ephemeral is not None:
                ephemeral.text, ephemeral.blocks = str(text), copy.deepcopy(blocks)
            elif message is not None:
                message.text, message.blocks = str(text), copy.deepcopy(blocks)
                message.edited_ts = self._next_ts()[0]
            return
        channel = source.channel or _conversation_id([source.user], self._salt())
        if payload.get("response_type") == "in_channel" and channel in self._conversations:
            self._append_message(channel, self.bot_user_id, str(text), copy.deepcopy(blocks))
            return
        self._store_ephemeral(channel, source.user, str(text), blocks)

    # --- internals: lookups shared by methods ----------------------------------------------

    def _conversation(self, args: dict[str, Any], name: str = "channel") -> _Conversation:
        channel_id = _req_str(args, name, "channel_not_found")
        conversation = self._conversations.get(channel_id)
        if conversation is None or not self._sees(conversation):
            raise _SlackError("channel_not_found")
        return conversation

    def _open(self, user_ids: list[str]) -> tuple[_Conversation, bool]:
        conversation_id = _conversation_id(user_ids, self._salt())
        existing = self._conversations.get(conversation_id)
        if existing is not None:
            return existing, True
        conversation = _Conversation(
            conversation_id,
            list(dict.fromkeys([*user_ids, self.bot_user_id])),
            created=int(time.time()),
            is_mpim=len(set(user_ids)) > 1,
            team=self.team_id,
        )
        self._conversations[conversation_id] = conversation
        return conversation, False

    def _post_target(self, channel_id: str) -> _Conversation:
        conversation = self._conversations.get(channel_id)
        if conversation is not None and self._sees(conversation):
            return conversation
        if not channel_id.startswith(_USER_PREFIXES):
            raise _SlackError("channel_not_found")
        user = self._user(channel_id)
        if user.deleted:
            raise _SlackError("user_disabled")
        return self._open([user.id])[0]

    def _find_message(self, channel: str, ts: str) -> _Message | None:
        return next((m for m in self._messages.get(channel, []) if m.ts == ts), None)

    def _content(self, args: dict[str, Any]) -> tuple[list[Any] | None, list[Any] | None]:
        blocks = _json_arg(args, "blocks", "invalid_blocks_format")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise _SlackError("invalid_blocks_format")
            if len(blocks) > _MAX_BLOCKS or not all(
                isinstance(block, dict) and isinstance(block.get("type"), str) for block in blocks
            ):
                raise _SlackError("invalid_blocks")
        attachments = _json_arg(args, "attachments", "invalid_attachments")
        if attachments is not None and not isinstance(attachments, list):
            raise _SlackError("invalid_attachments")
        return copy.deepcopy(blocks), copy.deepcopy(attachments)

    def _metadata(self, args: dict[str, Any]) -> dict[str, Any] | None:
        metadata = _json_arg(args, "metadata", "invalid_metadata_format")
        if metadata is None:
            return None
        if (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload"), dict)
        ):
            raise _SlackError("invalid_metadata_format")
        # Copied so that the stored message never shares objects with the recorded call.
        return copy.deepcopy(
            {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}
        )

    def _text(self, args: dict[str, Any]) -> str:
        text = _opt_str(args, "text") or ""
        if len(text) > _MAX_TEXT_CHARS:
            raise _SlackError("msg_too_long")
        return text

    def _append_message(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: list[Any] | None,
        *,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
    ) -> _Message:
        ts, micros = self._next_ts()
        message = _Message(
            channel=channel,
            ts=ts,
            ts_us=micros,
            user=user,
            bot_id=self.bot_id if user == self.bot_user_id else "",
            text=text,
            blocks=blocks,
            attachments=None,
            metadata=None,
            thread_ts=thread_ts,
            reply_broadcast=thread_ts is not None and reply_broadcast,
        )
        self._messages.setdefault(channel, []).append(message)
        return message

    def _store_ephemeral(
        self, channel: str, user: str, text: str, blocks: list[Any] | None
    ) -> _Ephemeral:
        ephemeral = _Ephemeral(
            id=f"E{next(self._ephemeral_numbers):08d}",
            channel=channel,
            user=user,
            ts=self._next_ts()[0],
            text=text,
            blocks=copy.deepcopy(blocks),
        )
        self._ephemerals.append(ephemeral)
        return ephemeral

    @staticmethod
    def _public_ephemeral(ephemeral: _Ephemeral) -> dict[str, Any]:
        return {
            "id": ephemeral.id,
            "channel": ephemeral.channel,
            "user": ephemeral.user,
            "ts": ephemeral.ts,
            "text": ephemeral.text,
            "blocks": copy.deepcopy(ephemeral.blocks),
        }

    # --- Web API methods -------------------------------------------------------------------

    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        # Echo like Slack does; file parts are bytes, which JSON cannot carry, so leave them out.
        echoed = {k: v for k, v in args.items() if k != "token" and not isinstance(v, bytes)}
        return {"ok": True, "args": echoed}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        team = self._acting
        answer: dict[str, Any] = {
            "ok": True,
            "url": f"https://{team.team_id.lower()}.slack.com/"
            if team is not self._home
            else f"https://{_TEAM_DOMAIN}.slack.com/",
            "team": team.name,
            "user": _BOT_NAME,
            "team_id": team.team_id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": team.org_wide,
        }
        if team.enterprise_id:
            answer["enterprise_id"] = team.enterprise_id
        return answer

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("client_id") != self.client_id:
            raise _SlackError("invalid_client_id")
        if args.get("client_secret") != self.client_secret:
            raise _SlackError("bad_client_secret")
        if args.get("grant_type") == "refresh_token":
            team = self._refresh_tokens.pop(
                _req_str(args, "refresh_token", "invalid_refresh_token"), None
            )
            if team is None:
                raise _SlackError("invalid_refresh_token")
            return {
                "ok": True,
                "app_id": _APP_ID,
                "team": {"id": team.team_id},
                **self._issue(team),
            }
        approved = self._codes.pop(_req_str(args, "code", "invalid_code"), None)
        if approved is None:
            raise _SlackError("invalid_code")  # unknown, or used already: codes work once
        team, installer = approved
        scope = self._installed_scopes.get(team.team_id, "")
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": _APP_ID,
            "scope": scope,
            "bot_user_id": team.bot_user_id,
            "team": None if team.org_wide else {"id": team.team_id, "name": team.name},
            "enterprise": (
                {"id": team.enterprise_id, "name": f"Org {team.enterprise_id}"}
                if team.enterprise_id
                else None
            ),
            "is_enterprise_install": team.org_wide,
            "authed_user": {"id": installer},
            **self._issue(team),
        }
        return answer

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        # By default a URL nobody listens on, which is enough for setup code; a test that needs
        # a connection points socket_mode_url at a FakeSocketMode.
        return {"ok": True, "url": self.socket_mode_url}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._user(_req_str(args, "user", "user_not_found"))
        return {"ok": True, "user": self._render_user(user)}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        raw_users = args.get("users")
        if raw_users is None or raw_users == "" or raw_users == []:
            if _opt_str(args, "channel"):
                conversation = self._conversation(args)
                return {
                    "ok": True,
                    "no_op": True,
                    "already_open": True,
                    "channel": {"id": conversation.id},
                }
            raise _SlackError("users_list_not_supplied")
        if isinstance(raw_users, str):
            user_ids = [u.strip() for u in raw_users.split(",") if u.strip()]
        elif isinstance(raw_users, list) and all(isinstance(u, str) for u in raw_users):
            user_ids = [u.strip() for u in raw_users if u.strip()]
        else:
            raise _SlackError("invalid_arguments")
        user_ids = list(dict.fromkeys(user_ids))
        if not user_ids:
            raise _SlackError("users_list_not_supplied")
        if len(user_ids) > _MAX_MPIM_USERS:
            raise _SlackError("too_many_users")
        for user_id in user_ids:
            if self._user(user_id).deleted:
                raise _SlackError("user_disabled")
        conversation, existed = self._open(user_ids)
        response: dict[str, Any] = {"ok": True, "channel": {"id": conversation.id}}
        if existed:
            response.update(no_op=True, already_open=True)
        return response

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": self._render_conversation(self._conversation(args))}

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(args)
        return {
            "ok": True,
            "members": list(conversation.members),
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(args)
        oldest = _ts_arg(args, "oldest", "invalid_ts_oldest")
        latest = _ts_arg(args, "latest", "invalid_ts_latest")
        inclusive = _truthy(args.get("inclusive"))
        limit = _int_arg(args, "limit", 100)
        limit = 100 if limit <= 0 else min(limit, _MAX_HISTORY_LIMIT)
        include_metadata = _truthy(args.get("include_all_metadata"))

        def in_window(micros: int) -> bool:
            if oldest is not None and (micros < oldest or (micros == oldest and not inclusive)):
                return False
            return latest is None or micros < latest or (micros == latest and inclusive)

        # History shows thread roots and broadcast replies; other replies live in the thread.
        visible = [
            m
            for m in reversed(self._messages.get(conversation.id, []))
            if (m.thread_ts is None or m.reply_broadcast) and in_window(m.ts_us)
        ]
        page, next_cursor = _paginate(visible, _opt_str(args, "cursor"), limit, newest_first=True)
        threads = self._threads(conversation.id)
        return {
            "ok": True,
            "messages": [
                self._render_message(m, include_metadata=include_metadata, threads=threads)
                for m in page
            ],
            "has_more": bool(next_cursor),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(args)
        ts = _req_str(args, "ts", "thread_not_found")
        message = self._find_message(conversation.id, ts)
        if message is None:
            raise _SlackError("thread_not_found")
        root = message
        if message.thread_ts is not None:
            root = self._find_message(conversation.id, message.thread_ts) or message
        limit = _int_arg(args, "limit", _MAX_REPLIES_LIMIT)
        limit = _MAX_REPLIES_LIMIT if limit <= 0 else min(limit, _MAX_REPLIES_LIMIT)
        threads = self._threads(conversation.id)
        thread = [root, *threads.get(root.ts, [])] if root.thread_ts is None else [root]
        page, next_cursor = _paginate(thread, _opt_str(args, "cursor"), limit, newest_first=False)
        include_metadata = _truthy(args.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [
                self._render_message(m, include_metadata=include_metadata, threads=threads)
                for m in page
            ],
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self._post_target(_req_str(args, "channel", "channel_not_found"))
        text = self._text(args)
        blocks, attachments = self._content(args)
        if not text and not blocks and not attachments:
            raise _SlackError("no_text")
        metadata = self._metadata(args)
        thread_ts = _opt_str(args, "thread_ts") or None
        if thread_ts is not None:
            try:
                _ts_to_us(thread_ts)
            except ValueError:
                raise _SlackError("invalid_thread_ts") from None
            parent = self._find_message(conversation.id, thread_ts)
            if parent is not None and parent.thread_ts is not None:
                thread_ts = parent.thread_ts  # replying to a reply continues the same thread
        ts, micros = self._next_ts()
        message = _Message(
            channel=conversation.id,
            ts=ts,
            ts_us=micros,
            user=self.bot_user_id,
            bot_id=self.bot_id,
            text=text,
            blocks=blocks,
            attachments=attachments,
            metadata=metadata,
            thread_ts=thread_ts,
            reply_broadcast=thread_ts is not None and _truthy(args.get("reply_broadcast")),
        )
        self._messages.setdefault(conversation.id, []).append(message)
        return {
            "ok": True,
            "channel": conversation.id,
            "ts": ts,
            "message": self._render_message(message, include_metadata=True),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _req_str(args, "channel", "channel_not_found")
        if not _is_conversation_id(channel):
            raise _SlackError("channel_not_found")
        user = self._user(_req_str(args, "user"))
        text = self._text(args)
        blocks, attachments = self._content(args)
        if not text and not blocks and not attachments:
            raise _SlackError("no_text")
        return {"ok": True, "message_ts": self._store_ephemeral(channel, user.id, text, blocks).ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(args)
        message = self._find_message(conversation.id, _req_str(args, "ts", "message_not_found"))
        if message is None:
            raise _SlackError("message_not_found")
        blocks, attachments = self._content(args)
        metadata = self._metadata(args)
        if "text" not in args and blocks is None and attachments is None and metadata is None:
            raise _SlackError("no_text")
        if "text" in args:
            message.text = self._text(args)
        if blocks is not None:
            message.blocks = blocks
        if attachments is not None:
            message.attachments = attachments
        if metadata is not None:
            message.metadata = metadata
        message.edited_ts = self._next_ts()[0]
        return {
            "ok": True,
            "channel": conversation.id,
            "ts": message.ts,
            "text": message.text,
            "message": self._render_message(message, include_metadata=True),
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(args)
        message = self._find_message(conversation.id, _req_str(args, "ts", "message_not_found"))
        if message is None:
            raise _SlackError("message_not_found")
        self._messages[conversation.id].remove(message)
        self._reactions.pop((conversation.id, message.ts), None)
        return {"ok": True, "channel": conversation.id, "ts": message.ts}

    def _reaction_target(self, args: dict[str, Any]) -> tuple[tuple[str, str], str]:
        channel = _opt_str(args, "channel")
        timestamp = _opt_str(args, "timestamp")
        if not channel or not timestamp:
            raise _SlackError("no_item_specified")
        if not _is_conversation_id(channel):
            raise _SlackError("channel_not_found")
        try:
            _ts_to_us(timestamp)
        except ValueError:
            raise _SlackError("bad_timestamp") from None
        name = (_opt_str(args, "name") or "").strip(":")
        if not name:
            raise _SlackError("invalid_name")
        return (channel, timestamp), name

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        key, name = self._reaction_target(args)
        users = self._reactions.setdefault(key, {}).setdefault(name, [])
        if self.bot_user_id in users:
            raise _SlackError("already_reacted")
        users.append(self.bot_user_id)
        return {"ok": True}

    def _reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        key, name = self._reaction_target(args)
        users = self._reactions.get(key, {}).get(name, [])
        if self.bot_user_id not in users:
            raise _SlackError("no_reaction")
        users.remove(self.bot_user_id)
        if not users:
            del self._reactions[key][name]
        return {"ok": True}

    def _view_spec(self, args: dict[str, Any]) -> dict[str, Any]:
        spec = _json_arg(args, "view", "invalid_arguments")
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise _SlackError("invalid_arguments")
        blocks = spec.get("blocks")
        if isinstance(blocks, list) and len(blocks) > _MAX_VIEW_BLOCKS:
            raise _SlackError("invalid_arguments")  # Slack: "must be less than 101 items"
        return spec

    def _store_view(
        self,
        spec: dict[str, Any],
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> dict[str, Any]:
        external_id = spec.get("external_id") or ""
        if not isinstance(external_id, str):
            raise _SlackError("invalid_arguments")
        owner = self._external_ids.get(external_id) if external_id else None
        if owner is not None and owner != view_id:
            raise _SlackError("duplicate_external_id")
        number = next(self._view_numbers)
        view_id = view_id or f"V{number:010d}"
        previous = self._views.get(view_id)
        if previous is not None and previous.get("external_id"):
            self._external_ids.pop(previous["external_id"], None)
        view = {
            "private_metadata": "",
            "callback_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "submit_disabled": False,
            "blocks": [],
            **copy.deepcopy(spec),
            # Fields Slack owns win over anything the app sent.
            "id": view_id,
            "team_id": self.team_id,
            "external_id": external_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{number:08x}",
            "root_view_id": root_view_id or view_id,
            "previous_view_id": previous_view_id,
            "app_id": _APP_ID,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[view_id] = view
        if external_id:
            self._external_ids[external_id] = view_id
        return copy.deepcopy(view)

    def _check_trigger(self, args: dict[str, Any]) -> None:
        issued = self._triggers.get(_req_str(args, "trigger_id"))
        life = self.trigger_life
        if life is not None and issued is not None and time.monotonic() - issued > life:
            raise _SlackError("expired_trigger_id")

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self._check_trigger(args)
        trigger_id = _req_str(args, "trigger_id")
        view = self._store_view(self._view_spec(args))
        self._view_triggers.setdefault(trigger_id, []).append(view["id"])
        return {"ok": True, "view": view}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        self._check_trigger(args)
        trigger_id = _req_str(args, "trigger_id")
        view = self._store_view(self._view_spec(args))
        self._view_triggers.setdefault(trigger_id, []).append(view["id"])
        return {"ok": True, "view": view}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = _opt_str(args, "view_id")
        external_id = _opt_str(args, "external_id")
        if not view_id and not external_id:
            raise _SlackError("invalid_arguments")
        if not view_id:
            view_id = self._external_ids.get(external_id or "")
        current = self._views.get(view_id or "")
        if current is None:
            raise _SlackError("not_found")
        expected_hash = _opt_str(args, "hash")
        if expected_hash and expected_hash != current["hash"]:
            raise _SlackError("hash_conflict")
        spec = self._view_spec(args)
        if not spec.get("external_id") and current["external_id"]:
            # An update that does not mention external_id keeps it, so later updates by
            # external_id still find the view.
            spec = {**spec, "external_id": current["external_id"]}
        view = self._store_view(
            spec,
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
        )
        return {"ok": True, "view": view}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._user(_req_str(args, "user_id", "invalid_arguments"))
        spec = self._view_spec(args)
        current_id = self._home_views.get(user.id)
        expected_hash = _opt_str(args, "hash")
        if current_id and expected_hash and expected_hash != self._views[current_id]["hash"]:
            raise _SlackError("hash_conflict")
        view = self._store_view(spec, view_id=current_id)
        self._home_views[user.id] = view["id"]
        return {"ok": True, "view": view}

    # --- files and e-mail look-ups (program tools) -----------------------------------------

    def _new_file_id(self) -> str:
        return f"F{len(self._files) + 1:09d}{secrets.token_hex(2).upper()}"

    def _render_file(self, file: _File) -> dict[str, Any]:
        base = f"{self.base_url}/files-pri/{self.team_id}-{file.id}"
        return {
            "id": file.id,
            "created": file.created,
            "timestamp": file.created,
            "name": file.name,
            "title": file.title,
            "mimetype": "text/csv" if file.filetype == "csv" else "application/octet-stream",
            "filetype": file.filetype,
            "user": file.user,
            "size": len(file.content or b""),
            "url_private": f"{base}/{file.name}",
            "url_private_download": f"{base}/download/{file.name}",
            "channels": list(file.channels),
            "is_public": False,
        }

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = _req_str(args, "email", "users_not_found").strip().lower()
        for user in self._users.values():
            if user.email and user.email.lower() == email:
                return {"ok": True, "user": self._render_user(user)}
        raise _SlackError("users_not_found")

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file = self._files.get(_req_str(args, "file", "file_not_found"))
        if file is None or file.content is None:
            raise _SlackError("file_not_found")
        return {"ok": True, "file": self._render_file(file), "comments": []}

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = _req_str(args, "filename", "invalid_arguments")
        if _int_arg(args, "length", 0) <= 0:
            raise _SlackError("invalid_arguments")
        file = _File(
            id=self._new_file_id(),
            name=filename,
            title=filename,
            filetype=filename.rsplit(".", 1)[-1].lower() if "." in filename else "text",
            user=self.bot_user_id,
            content=None,
            created=int(time.time()),
            channels=[],
        )
        self._files[file.id] = file
        path = f"/upload/v1/{secrets.token_hex(12)}"
        self._upload_tokens[path] = file.id
        return {"ok": True, "upload_url": self.base_url + path, "file_id": file.id}

    def _files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = _json_arg(args, "files", "invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise _SlackError("invalid_arguments")
        channel_id = _opt_str(args, "channel_id")
        conversation = self._post_target(channel_id) if channel_id else None
        shared = []
        for entry in entries:
            file = self._files.get(str(entry.get("id")) if isinstance(entry, dict) else "")
            if file is None or file.content is None:
                raise _SlackError("file_not_found")  # never uploaded to its URL
            file.title = str(entry.get("title") or file.name)
            if conversation is not None:
                file.channels.append(conversation.id)
                file.initial_comment = _opt_str(args, "initial_comment")
            shared.append({"id": file.id, "title": file.title})
        if conversation is not None:
            ts, micros = self._next_ts()
            self._messages.setdefault(conversation.id, []).append(
                _Message(
                    channel=conversation.id,
                    ts=ts,
                    ts_us=micros,
                    user=self.bot_user_id,
                    bot_id=self.bot_id,
                    text=_opt_str(args, "initial_comment") or "",
                    blocks=None,
                    attachments=None,
                    metadata=None,
                    thread_ts=None,
                    reply_broadcast=False,
                )
            )
        return {"ok": True, "files": shared}


def _shorten(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
