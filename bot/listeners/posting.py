"""Posting what someone typed into a form before the form closes: within Slack's 3 seconds,
and never twice.

A modal closes when its submission is acknowledged, and the words in it go with it. So the
check-in and thanks forms post first and acknowledge after: when Slack took the post the
form closes; otherwise it stays open with an error and the person presses the button again.
Slack waits 3 seconds for the acknowledgement, so the Slack calls share a fixed part of that.

A post that got no answer in time may still have reached Slack. Each form post carries the
form's view id in its message metadata, and such an attempt is remembered: the next
submission of the same form first looks for that post and, when it is there, uses it instead
of posting again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.common import Block
from bot.listeners.lookups import LOOKUP_TIMEOUT_SECONDS
from bot.listeners.request import SlackRequest
from bot.slack_out import FaultKind, classify, dm_channel, find_own_post, quick_copy
from bot.store import events as event_store
from bot.store.models import Pair

log = logging.getLogger("rounds.posting")

# Of Slack's 3 seconds, the rest goes to the signature check, the database and the ack's trip.
SLACK_CALLS_BUDGET_SECONDS = 2.0
FORM_POST_EVENT = "rounds_form_post"
_USER_ID_PREFIXES = ("U", "W")

# Calls run here so the handler can stop waiting at the deadline; an abandoned call ends on
# its own within the quick client's timeout. As many as the listener pool has threads.
_calls = ThreadPoolExecutor(max_workers=16, thread_name_prefix="form-post")

T = TypeVar("T")


class NotPostedError(Exception):
    """Slack did not take the post before the form had to be answered; keep the form open."""

    def __init__(self, *, maybe_posted: bool, refused: str | None = None) -> None:
        super().__init__(refused or ("maybe posted" if maybe_posted else "not posted"))
        self.maybe_posted = maybe_posted
        # A Slack error that pressing the button again will not fix (say, channel_not_found).
        self.refused = refused


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


class OutOfTimeError(Exception):
    """The budget was spent before the call could start (so it made no post)."""


class Deadline:
    """One budget for every Slack call a handler makes before its ack, counted from the
    handler's start (so a slow profile look-up leaves less for the post)."""

    def __init__(self, seconds: float = SLACK_CALLS_BUDGET_SECONDS) -> None:
        self._ends_at = time.monotonic() + seconds

    def run(self, call: Callable[[], T]) -> T:
        """The call's result; TimeoutError when it has not answered by the deadline (it may
        still take effect), OutOfTimeError when there was no time left to start it."""
        remaining = self._ends_at - time.monotonic()
        if remaining <= 0:
            raise OutOfTimeError
        future = _calls.submit(call)
        try:
            return future.result(timeout=remaining)
        except TimeoutError:
            if future.cancel():  # it never started (every thread busy): it will not run
                raise OutOfTimeError from None
            raise


def form_key(request: SlackRequest) -> str | None:
    """The submitted view's id: the same for every submission of one open form."""
    view_id = request.body.get("view", {}).get("id")
    return str(view_id) if view_id else None


def open_space_within(request: SlackRequest, pair: Pair, deadline: Deadline) -> str:
    """The pair's check-in space, opened now if an earlier attempt failed."""
    if pair.checkin_channel_id:
        return pair.checkin_channel_id
    client = quick_copy(request.client, timeout=LOOKUP_TIMEOUT_SECONDS)
    members = f"{pair.mentee.slack_user_id},{pair.mentor.slack_user_id}"
    request.session.commit()  # no transaction (SQLite's one writer) waits on Slack
    try:
        opened = deadline.run(lambda: client.conversations_open(users=members))
    except SlackApiError as error:
        raise _not_posted(error) from error
    except (OSError, OutOfTimeError) as error:  # no answer in time: nothing was posted yet
        raise NotPostedError(maybe_posted=False) from error
    pair.checkin_channel_id = str(opened["channel"]["id"])
    request.session.commit()
    return pair.checkin_channel_id


def post_from_form(
    request: SlackRequest,
    *,
    channel: str,
    text: str,
    blocks: list[Block],
    deadline: Deadline,
) -> Posted:
    """Post the form's words once (a user ID as `channel` posts to the bot's DM with them).
    Raises NotPostedError when the form must stay open; the caller commits the session, which
    keeps the memory of an attempt that may have landed. Commits what the session holds first."""
    key = form_key(request)
    marker = f"form-post:{key}" if key else None
    # No retries: the person's second press is the retry.
    client = quick_copy(request.client, timeout=LOOKUP_TIMEOUT_SECONDS)
    earlier_attempt = marker is not None and event_store.remembers(request.session, event_id=marker)
    request.session.commit()  # no transaction (SQLite's one writer) waits on Slack
    try:
        if earlier_attempt:
            found = _earlier_post(client, channel=channel, key=str(key), deadline=deadline)
            if found is not None:
                return found
        metadata = {"event_type": FORM_POST_EVENT, "event_payload": {"form": key or ""}}
        response = deadline.run(
            lambda: client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, metadata=metadata, unfurl_links=False
            )
        )
    except SlackApiError as error:
        failure = _not_posted(error)
        if failure.maybe_posted:
            _remember(request, marker)
        elif earlier_attempt and failure.refused is None:
            failure = NotPostedError(maybe_posted=True)  # the earlier attempt still may have
        raise failure from error
    except OSError as error:  # no answer in time, or the connection broke: it may have landed
        _remember(request, marker)
        raise NotPostedError(maybe_posted=True) from error
    except OutOfTimeError as error:  # the look-up used the time up; the post never started
        raise NotPostedError(maybe_posted=earlier_attempt) from error
    return Posted(channel=str(response["channel"]), ts=str(response["ts"]))


def _not_posted(error: SlackApiError) -> NotPostedError:
    fault = classify(error)
    if fault.kind is FaultKind.TRANSIENT:  # a 5xx: Slack may have posted it all the same
        return NotPostedError(maybe_posted=True)
    if fault.kind is FaultKind.RATE_LIMITED:
        return NotPostedError(maybe_posted=False)
    return NotPostedError(maybe_posted=False, refused=fault.reason)


def _remember(request: SlackRequest, marker: str | None) -> None:
    if marker:
        event_store.claim_event(request.session, event_id=marker, now=request.now)


def _earlier_post(
    client: WebClient, *, channel: str, key: str, deadline: Deadline
) -> Posted | None:
    """The earlier attempt's post, if Slack has it. A look-up Slack refuses outright must not
    keep the form stuck: then the post goes ahead (at worst, twice)."""
    try:
        return deadline.run(lambda: _find_form_post(client, channel=channel, key=key))
    except SlackApiError as error:
        if classify(error).kind in (FaultKind.PERMANENT, FaultKind.REJECTED):
            log.warning("could not look for an earlier form post: %s", error.response.get("error"))
            return None
        raise


def _find_form_post(client: WebClient, *, channel: str, key: str) -> Posted | None:
    conversation = dm_channel(client, channel) if channel.startswith(_USER_ID_PREFIXES) else channel
    ts = find_own_post(
        client, channel=conversation, thread_ts=None, matches=lambda m: _carries(m, key)
    )
    return Posted(channel=conversation, ts=ts) if ts is not None else None


def _carries(message: dict[str, Any], key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(metadata.get("event_type") == FORM_POST_EVENT and payload.get("form") == key)
