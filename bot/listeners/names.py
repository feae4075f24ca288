"""Someone named as plain text ("for @Dr. Patel" typed without picking from Slack's list),
matched against a few known people by their Slack names — fetched, never stored."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError

from bot.listeners.lookups import LOOKUP_TIMEOUT_SECONDS
from bot.listeners.request import SlackRequest
from bot.slack_out import quick_copy
from bot.store.models import Person

log = logging.getLogger("rounds.names")

_TITLES = {"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "mx"}


def _tokens(name: str) -> list[str]:
    words = re.findall(r"[\w'’-]+", name.lower())
    return [word for word in words if word not in _TITLES]


def _names_of(request: SlackRequest, person: Person) -> list[str]:
    try:
        client = quick_copy(request.client, timeout=LOOKUP_TIMEOUT_SECONDS)
        user = client.users_info(user=person.slack_user_id)["user"]
    except (SlackApiError, OSError) as error:
        log.info("could not read the names of %s: %s", person.slack_user_id, type(error).__name__)
        return []
    profile = user.get("profile") or {}
    return [
        str(value)
        for value in (
            profile.get("display_name"),
            profile.get("real_name"),
            user.get("real_name"),
            user.get("name"),
        )
        if value
    ]


def matches(typed: str, names: Sequence[str]) -> bool:
    """`Dr. Patel`, `patel`, `Raj Patel` and `@raj.patel` all match someone named Raj Patel."""
    wanted = _tokens(typed)
    if not wanted:
        return False
    for name in names:
        tokens = _tokens(name)
        if wanted == tokens or "".join(wanted) == "".join(tokens):
            return True
        if len(wanted) == 1 and wanted[0] in tokens:
            return True
        if set(wanted) <= set(tokens):
            return True
    return False


def person_named(request: SlackRequest, typed: str, among: Sequence[Person]) -> Person | None:
    """The one person in `among` whose Slack names match `typed`; None if none or several."""
    found = [person for person in among if matches(typed, _names_of(request, person))]
    return found[0] if len(found) == 1 else None
