"""Turning Slack user IDs into people, refreshing their cached profile (zone, admin) when stale.

Look-ups happen before the ack, so they run in parallel (`look_up` starts them all, the first
wait collects them) with one short try each. When Slack is too slow for that, the request is
acknowledged empty and asked again patiently: the answer then comes through the response_url.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, wait

from slack_sdk.errors import SlackApiError

from bot.domain import people
from bot.domain.errors import UserError
from bot.domain.people import Profile
from bot.listeners.request import SlackRequest
from bot.slack_out import FaultKind, classify, fetch_profile
from bot.store.models import Person

log = logging.getLogger("rounds.people")


class SlackTooSlowError(Exception):
    """users.info did not answer in time (or was rate limited or failed for a while)."""


def look_up(request: SlackRequest, slack_user_ids: Iterable[str]) -> None:
    """Start asking Slack about these people, all at once; `mentioned` and `actor` collect."""
    for slack_user_id in slack_user_ids:
        if slack_user_id not in request.profiles:
            request.profiles[slack_user_id] = request.lookups.start(
                request.client, team_id=request.team_id, slack_user_id=slack_user_id
            )


def _passing(error: Exception) -> bool:
    """Whether a failed look-up may work if asked again: Slack's "no" stands; timeouts, rate
    limits and Slack's own troubles pass."""
    if isinstance(error, SlackApiError):
        return classify(error).kind not in (FaultKind.PERMANENT, FaultKind.REJECTED)
    return isinstance(error, OSError)


def _quick_profile(
    request: SlackRequest, slack_user_id: str, *, by: float | None = None
) -> Profile | None:
    """The look-up's answer: waits for its one short try, or only until `by` (monotonic)."""
    look_up(request, [slack_user_id])
    timeout = None if by is None else max(0.0, by - time.monotonic())
    try:
        return request.profiles[slack_user_id].result(timeout=timeout)
    except TimeoutError as error:  # the try goes on; what it learns serves the next request
        raise SlackTooSlowError(f"no answer about {slack_user_id} in time") from error
    except Exception as error:
        if not _passing(error):
            raise
        raise SlackTooSlowError(str(error)) from error


def _patient_profile(request: SlackRequest, slack_user_id: str) -> Profile | None:
    """Slack was too slow for the ack: acknowledge now (the answer follows through the
    response_url) and ask again with the regular client, which waits and retries."""
    request.ack()
    log.info("Slack is slow: acknowledged early; asking about %s again", slack_user_id)
    try:
        profile = fetch_profile(request.client, slack_user_id)
    except Exception as error:
        if not _passing(error):
            raise
        raise SlackTooSlowError(str(error)) from error
    done: Future[Profile | None] = Future()
    done.set_result(profile)
    request.profiles[slack_user_id] = done
    if profile is not None and profile.display_name:
        request.lookups.remember_name(request.team_id, slack_user_id, profile.display_name)
    return profile


def _profile(request: SlackRequest, slack_user_id: str) -> Profile | None:
    """The user's profile, None when Slack knows no such user. Raises SlackTooSlowError."""
    try:
        return _quick_profile(request, slack_user_id)
    except SlackTooSlowError:
        if not request.may_answer_later:
            raise
    return _patient_profile(request, slack_user_id)


def person(request: SlackRequest, slack_user_id: str, *, refresh: bool = True) -> Person:
    """The person for a Slack user in this request's workspace, profile refreshed if stale."""
    found = people.person_in_team(
        request.session, team_id=request.team_id, slack_user_id=slack_user_id
    )
    if refresh and people.profile_is_stale(found, now=request.now):
        try:
            # A refresh is worth no more than the time before the ack; a form to open, say,
            # cannot wait longer (its trigger dies 3 s after the click).
            profile = _quick_profile(request, slack_user_id, by=request.ack_by)
        except SlackTooSlowError:
            log.info("profile of %s not refreshed: Slack was slow", slack_user_id)
            people.profile_unconfirmed(found, now=request.now)  # the zone serves; privilege not
            return found
        people.apply_profile(found, profile, now=request.now)
    return found


def actor(request: SlackRequest) -> Person:
    return person(request, request.user_id)


def mentioned(request: SlackRequest, slack_user_id: str, *, example: str) -> Person:
    """Someone named in a command: must be a real, active, human Slack user."""
    try:
        profile = _profile(request, slack_user_id)
    except SlackTooSlowError:
        raise UserError(
            f"Slack is slow to answer right now, so I couldn't look up <@{slack_user_id}>. "
            "Please try again in a minute.",
            example=example,
        ) from None
    if profile is None:
        raise UserError(f"I can't find <@{slack_user_id}> in this workspace.", example=example)
    if profile.is_bot:
        raise UserError(f"<@{slack_user_id}> is a bot; name a person.", example=example)
    if profile.deleted:
        raise UserError(f"<@{slack_user_id}> has left this workspace.", example=example)
    found = person(request, slack_user_id, refresh=False)
    people.apply_profile(found, profile, now=request.now)
    return found


def display_names(request: SlackRequest, slack_user_ids: Iterable[str]) -> dict[str, str]:
    """Names for plain-text labels (a mention cannot render there): from memory, else asked
    in parallel until the ack deadline. Whoever Slack did not name by then is left out."""
    wanted = list(dict.fromkeys(slack_user_ids))
    names = {uid: name for uid in wanted if (name := request.lookups.name(request.team_id, uid))}
    missing = [uid for uid in wanted if uid not in names]
    look_up(request, missing)
    waiting = {uid: request.profiles[uid] for uid in missing}
    wait(waiting.values(), timeout=max(0.0, request.ack_by - time.monotonic()))
    for uid, future in waiting.items():
        if future.done() and future.exception() is None:
            profile = future.result()
            if profile is not None and profile.display_name:
                names[uid] = profile.display_name
    if len(names) < len(wanted):
        log.info("%d of %d names not known in time", len(wanted) - len(names), len(wanted))
    return names
