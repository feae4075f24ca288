"""The one way Rounds builds Web API clients, and the one gateway for calls made outside a request.

Every client points at SLACK_API_URL and retries what is worth retrying: rate limits
(honouring Retry-After), Slack's 5xx answers, and dropped connections.
"""

from __future__ import annotations

import enum
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from bot.config import Settings
from bot.domain.people import Profile
from bot.domain.program.imports import Resolved
from bot.domain.workspaces import Presence
from bot.store.models import Pair, Workspace

SlackClient = WebClient  # what jobs/ may name, without importing slack_sdk itself

# Long enough for Slack to answer a normal call; short enough that a hung connection does
# not hold a listener thread or a delivery lease for long.
REQUEST_TIMEOUT_SECONDS = 10


def make_web_client(
    settings: Settings,
    *,
    rate_limit_retries: int = 2,
    server_error_retries: int = 2,
    connection_retries: int = 2,
    timeout: int = REQUEST_TIMEOUT_SECONDS,
    token: str | None = None,
) -> WebClient:
    """A client with SLACK_BOT_TOKEN, or with `token` (a workspace's own, in OAuth mode)."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return WebClient(
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(
                max_retry_count=connection_retries, interval_calculator=backoff
            ),
            RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            ServerErrorRetryHandler(
                max_retry_count=server_error_retries, interval_calculator=backoff
            ),
        ],
    )


# --- One client per workspace ---------------------------------------------------------------

# What Slack answers when a token no longer works: the app was uninstalled, or its token
# revoked or expired.
TOKEN_GONE = frozenset(
    {"invalid_auth", "token_revoked", "token_expired", "account_inactive", "not_authed"}
)
# Of those, what a post answers when the app is gone from the workspace (an expired token is
# a refresh that failed, which the next read of the token tries again).
APP_GONE = frozenset({"invalid_auth", "token_revoked", "account_inactive"})


class WorkspaceClients(Protocol):
    """Where work done outside a request (nudges, profile refreshes) gets the client that acts
    in a given workspace: the one token of single-token mode, or each workspace's own token
    from the installation store in OAuth mode (bot.oauth.clients)."""

    @property
    def many_workspaces(self) -> bool: ...

    def client_for(self, workspace: Workspace) -> WebClient | None:
        """None when Rounds holds no token for the workspace (uninstalled)."""
        ...

    def presence(self, workspace: Workspace) -> Presence:
        """Whether a token Rounds holds for the workspace still works there."""
        ...

    def token_refused(self, workspace: Workspace) -> None:
        """Slack refused the workspace's token: forget any copy kept for speed."""
        ...


PRESENCE_KEPT_SECONDS = 600  # Slack is asked about a departed workspace at most this often


def presence_by_auth_test(client: WebClient, workspace: Workspace) -> Presence:
    """Ask Slack whether `client`'s token still acts in `workspace` (or its org)."""
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error")
        return Presence.GONE if code in TOKEN_GONE else Presence.UNKNOWN
    except OSError:
        return Presence.UNKNOWN
    if answer.get("team_id") == workspace.team_id or (
        workspace.enterprise_id
        and answer.get("is_enterprise_install")
        and answer.get("enterprise_id") == workspace.enterprise_id
    ):
        return Presence.INSTALLED
    return Presence.GONE


class PresenceMemo:
    """Slack's last word on each workspace's presence, kept for a while: the planner asks on
    every pass while a workspace is marked uninstalled."""

    def __init__(self, ask: Callable[[Workspace], Presence]) -> None:
        self.ask = ask
        self.lock = threading.Lock()
        self.known: dict[str, tuple[Presence, float]] = {}

    def __call__(self, workspace: Workspace) -> Presence:
        with self.lock:
            kept = self.known.get(workspace.team_id)
        if kept is not None and time.monotonic() - kept[1] < PRESENCE_KEPT_SECONDS:
            return kept[0]
        verdict = self.ask(workspace)
        if verdict is not Presence.UNKNOWN:
            with self.lock:
                self.known[workspace.team_id] = (verdict, time.monotonic())
        return verdict


class SingleWorkspaceClients:
    """Single-token mode: SLACK_BOT_TOKEN acts wherever Rounds works."""

    many_workspaces = False

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._presence = PresenceMemo(lambda workspace: presence_by_auth_test(client, workspace))

    def client_for(self, workspace: Workspace) -> WebClient | None:
        return self.client

    def presence(self, workspace: Workspace) -> Presence:
        return self._presence(workspace)

    def token_refused(self, workspace: Workspace) -> None:
        pass


def workspace_clients(clients: WebClient | WorkspaceClients) -> WorkspaceClients:
    """Callers that were handed one client (single-token mode, tests) get it for every
    workspace."""
    if isinstance(clients, WebClient):
        return SingleWorkspaceClients(clients)
    return clients


def quick_copy(client: WebClient, *, timeout: int) -> WebClient:
    """The same workspace's client for a call someone is waiting on: one try, a short timeout."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        retry_handlers=[],
        logger=client.logger,
    )


def ensure_checkin_space(client: WebClient, pair: Pair) -> str:
    """The pair's group DM (mentee, mentor, bot): opened once, then cached on the pair."""
    if pair.checkin_channel_id:
        return pair.checkin_channel_id
    opened = client.conversations_open(
        users=f"{pair.mentee.slack_user_id},{pair.mentor.slack_user_id}"
    )
    pair.checkin_channel_id = str(opened["channel"]["id"])
    return pair.checkin_channel_id


# --- Nudges ----------------------------------------------------------------------------------

# Errors that retrying cannot fix: the pair is paused and the coordinators are told.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "invalid_auth",
        "token_revoked",
        "cannot_dm_bot",
        "missing_scope",
    }
)


class FaultKind(enum.Enum):
    RATE_LIMITED = "rate_limited"  # try again after Retry-After; nothing was posted
    TRANSIENT = "transient"  # 5xx or no answer: maybe posted, retry with backoff
    PERMANENT = "permanent"  # pause the pair, tell coordinators
    REJECTED = "rejected"  # Slack refused this message itself; retrying would not help


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    reason: str
    retry_after: int = 0


def classify(error: Exception) -> Fault:
    """What a failed Web API call means for a delivery."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = str(error.response.get("error") or f"http_{status}")
        if status == 429 or code == "ratelimited":
            headers = {key.lower(): value for key, value in (error.response.headers or {}).items()}
            raw = headers.get("retry-after", "1")
            raw = raw[0] if isinstance(raw, list) else raw
            return Fault(FaultKind.RATE_LIMITED, "ratelimited", max(1, int(str(raw) or "1")))
        if status >= 500:
            return Fault(FaultKind.TRANSIENT, f"http_{status}")  # the body is an HTML page
        if code in {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}:
            return Fault(FaultKind.TRANSIENT, code)
        if code in PERMANENT_ERRORS:
            return Fault(FaultKind.PERMANENT, code)
        return Fault(FaultKind.REJECTED, code)
    if isinstance(error, OSError):  # timeouts, refused or reset connections
        return Fault(FaultKind.TRANSIENT, type(error).__name__)
    raise error


def post_nudge(
    client: WebClient,
    *,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]],
    metadata: dict[str, object],
    thread_ts: str | None = None,
) -> tuple[str, str]:
    """The one Slack call per nudge. Returns (channel ID, ts)."""
    response = client.chat_postMessage(
        channel=channel,
        text=text,
        blocks=blocks,
        metadata=metadata,
        thread_ts=thread_ts,
        unfurl_links=False,
    )
    return str(response["channel"]), str(response["ts"])


def find_own_post(
    client: WebClient,
    *,
    channel: str,
    thread_ts: str | None,
    matches: Callable[[dict[str, Any]], bool],
) -> str | None:
    """The ts of a recent post of ours that `matches`, by its message metadata, if any."""
    if thread_ts:
        response = client.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
        )
    else:
        response = client.conversations_history(
            channel=channel, include_all_metadata=True, limit=200
        )
    for message in response.get("messages") or []:
        if matches(message):
            return str(message["ts"])
    return None


def dm_channel(client: WebClient, slack_user_id: str) -> str:
    return str(client.conversations_open(users=slack_user_id)["channel"]["id"])


# --- Profiles --------------------------------------------------------------------------------

USER_GONE = frozenset({"user_not_found", "users_not_found"})


def fetch_profile(client: WebClient, slack_user_id: str) -> Profile | None:
    """What Rounds keeps of a user's Slack profile; None when Slack knows no such user."""
    try:
        user = client.users_info(user=slack_user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") in USER_GONE:
            return None
        raise
    return Profile(
        tz=user.get("tz"),
        is_admin=bool(user.get("is_admin") or user.get("is_owner")),
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        deleted=bool(user.get("deleted")),
        display_name=(user.get("profile") or {}).get("display_name")
        or user.get("real_name")
        or user.get("name"),
    )


# --- Program tools: files and e-mail look-ups -------------------------------------------------


@dataclass(frozen=True)
class DownloadedFile:
    name: str
    filetype: str
    size: int
    data: bytes | None  # None when the file is larger than the caller accepts


class SignInPageError(Exception):
    """Slack served its sign-in page instead of the file: the token lacks files:read."""


def download_file(client: WebClient, file_id: str, *, max_bytes: int) -> DownloadedFile:
    """A file a user shared with the app (say, from a modal's file_input), with the bot token."""
    info = client.files_info(file=file_id)["file"]
    name, filetype = str(info.get("name") or "file"), str(info.get("filetype") or "")
    size = int(info.get("size") or 0)
    if size > max_bytes:
        return DownloadedFile(name, filetype, size, None)
    request = urllib.request.Request(str(info["url_private_download"]))
    request.add_header("Authorization", f"Bearer {client.token}")
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
        data = response.read(max_bytes + 1)
        kind = response.headers.get("Content-Type", "")
    if kind.startswith("text/html") and data.lstrip().lower().startswith((b"<!doctype", b"<html")):
        raise SignInPageError(name)
    if len(data) > max_bytes:
        return DownloadedFile(name, filetype, len(data), None)
    return DownloadedFile(name, filetype, len(data), data)


LOOKUPS_IN_FLIGHT = 4
LOOKUP_RETRIES = 5


def _resolved(user: dict[str, Any]) -> Resolved:
    profile = user.get("profile") or {}
    return Resolved(
        slack_user_id=str(user["id"]),
        tz=user.get("tz"),
        name=str(profile.get("display_name") or user.get("real_name") or user.get("name") or "")
        or None,
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        deleted=bool(user.get("deleted")),
    )


def look_up_people(
    client: WebClient, refs: Sequence[str], *, in_flight: int = LOOKUPS_IN_FLIGHT
) -> dict[str, Resolved]:
    """Each distinct e-mail (users.lookupByEmail) or user ID (users.info) once, a few at a
    time. A 429 pauses every look-up for Retry-After, then the refused one is asked again."""
    paused_until = [0.0]
    lock = threading.Lock()

    def ask(ref: str) -> tuple[str, Resolved]:
        for _ in range(LOOKUP_RETRIES):
            with lock:
                wait = paused_until[0] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                if "@" in ref:
                    user = client.users_lookupByEmail(email=ref)["user"]
                else:
                    user = client.users_info(user=ref)["user"]
                return ref, _resolved(user)
            except SlackApiError as error:
                if error.response.get("error") in USER_GONE:
                    return ref, Resolved(slack_user_id=None)
                fault = classify(error)
                if fault.kind is not FaultKind.RATE_LIMITED:
                    raise
                with lock:
                    paused_until[0] = max(paused_until[0], time.monotonic() + fault.retry_after)
        raise RuntimeError(f"Slack kept refusing to look up {ref}")

    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="lookup") as pool:
        return dict(pool.map(ask, refs))


def upload_to_dm(
    client: WebClient, *, slack_user_id: str, filename: str, content: bytes, comment: str
) -> str:
    """Share a file in the bot's DM with a user (files_upload_v2); returns the DM's ID."""
    channel = dm_channel(client, slack_user_id)
    client.files_upload_v2(
        channel=channel,
        content=content,
        filename=filename,
        title=filename,
        initial_comment=comment,
    )
    return channel
