"""users.info look-ups made while someone waits for Slack's 3-second ack.

They run in parallel on a small pool, one try each with a short timeout, and the names they
bring back are kept in memory for a while (never stored: SPEC, Privacy) so that labels such as
the check-in form's pair picker do not wait for Slack at all.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

from slack_sdk import WebClient

from bot.domain.people import Profile
from bot.slack_out import fetch_profile, quick_copy

# One try must fit well inside Slack's 3 seconds, with the rest of the request around it.
LOOKUP_TIMEOUT_SECONDS = 2
NAME_MEMORY_SECONDS = 60 * 60
MAX_REMEMBERED_NAMES = 10_000


class Lookups:
    """One per app: the pool that asks Slack in parallel, and the display names it heard."""

    def __init__(self, *, workers: int = 16) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookup")
        self._lock = threading.Lock()
        self._names: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    def start(
        self, client: WebClient, *, team_id: str, slack_user_id: str
    ) -> Future[Profile | None]:
        """Ask Slack for a profile now, on the pool; the future raises what the call raised."""
        quick = quick_copy(client, timeout=LOOKUP_TIMEOUT_SECONDS)
        return self._pool.submit(self._fetch, quick, team_id, slack_user_id)

    def _fetch(self, client: WebClient, team_id: str, slack_user_id: str) -> Profile | None:
        profile = fetch_profile(client, slack_user_id)
        if profile is not None and profile.display_name:
            self.remember_name(team_id, slack_user_id, profile.display_name)
        return profile

    def remember_name(self, team_id: str, slack_user_id: str, name: str) -> None:
        with self._lock:
            self._names[(team_id, slack_user_id)] = (name, time.monotonic() + NAME_MEMORY_SECONDS)
            self._names.move_to_end((team_id, slack_user_id))
            while len(self._names) > MAX_REMEMBERED_NAMES:
                self._names.popitem(last=False)

    def name(self, team_id: str, slack_user_id: str) -> str | None:
        with self._lock:
            found = self._names.get((team_id, slack_user_id))
            if found is None:
                return None
            name, expires = found
            if expires < time.monotonic():
                del self._names[(team_id, slack_user_id)]
                return None
            return name

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
