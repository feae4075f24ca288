"""Keeps cached profiles fresh for people who never talk to Rounds, off the nudge path: the
time zones of pair members, and the admin flag of Slack admins, which coordinator alerts
follow (see bot.domain.people for when that flag is trusted)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours, zone
from bot.domain.pairs import CAPACITY_STATES
from bot.domain.people import PROFILE_MAX_AGE, apply_profile, profile_unconfirmed
from bot.domain.schedule import prompt_instant_on
from bot.slack_out import (
    FaultKind,
    SlackClient,
    WorkspaceClients,
    classify,
    fetch_profile,
    workspace_clients,
)
from bot.store import pairs as pair_queries
from bot.store import people as people_queries
from bot.store.db import SessionFactory
from bot.store.models import Pair, PairState, Person

log = logging.getLogger("rounds.profiles")

STALE_AFTER = timedelta(days=7)
# Alumni move cities (residency!); their catch-ups follow them like prompts do.
ZONE_MATTERS = (*CAPACITY_STATES, PairState.ALUMNI)
BATCH = 50


def refresh_stale_profiles(
    sessions: SessionFactory,
    client: SlackClient | WorkspaceClients,
    *,
    hours: WorkingHours,
    now: datetime,
) -> int:
    """Re-read up to BATCH stale profiles, each with its own workspace's client; when a zone
    changed, keep the local prompt time. Returns how many were refreshed."""
    clients = workspace_clients(client)
    refreshed = 0
    with sessions() as session:
        stale = people_queries.stale_profiles(
            session,
            states=ZONE_MATTERS,
            refreshed_before=now - STALE_AFTER,
            admins_refreshed_before=now - PROFILE_MAX_AGE,
            limit=BATCH,
        )
        # Each workspace's client first, outside this transaction: finding a token may mean
        # refreshing it, which writes (and SQLite has one writer).
        session.commit()
        here = {
            person.workspace_id: None
            if person.workspace.uninstalled_at is not None
            else clients.client_for(person.workspace)
            for person in stale
        }
        limited: set[int] = set()
        for person in stale:
            client_here = here[person.workspace_id]
            if client_here is None or person.workspace_id in limited:
                continue  # uninstalled, or no token there, or rate limited: nobody to ask
            try:
                profile = fetch_profile(client_here, person.slack_user_id)
            except Exception as error:
                fault = _fault_of(error)
                if fault is FaultKind.RATE_LIMITED:
                    limited.add(person.workspace_id)  # the rest there wait for a later pass
                    continue
                log.warning("could not refresh %s: %s", person.slack_user_id, error)
                profile_unconfirmed(person, now=now)
                if fault in (FaultKind.PERMANENT, FaultKind.REJECTED):
                    # Slack's considered refusal will not change soon: ask again next week,
                    # not every pass. An answerless failure is asked again next pass.
                    person.profile_refreshed_at = now
                continue
            planned_days = _prompt_days(session, person)
            apply_profile(person, profile, now=now)
            for pair, day in planned_days:
                pair.next_prompt_at = prompt_instant_on(day, pair, hours=hours)
            refreshed += 1
        session.commit()
    return refreshed


def _fault_of(error: Exception) -> FaultKind | None:
    """What kind of Slack failure this was; None for an error that is no Slack answer."""
    try:
        return classify(error).kind
    except Exception:
        return None


def _prompt_days(session: Session, person: Person) -> list[tuple[Pair, date]]:
    """Each active pair's next prompt (alumni pair's next catch-up) as a local date, before
    the zone changes."""
    return [
        (pair, pair.next_prompt_at.astimezone(zone(pair.mentee.tz)).date())
        for pair in pair_queries.pairs_of(
            session, person, states=(PairState.ACTIVE, PairState.ALUMNI)
        )
        if pair.next_prompt_at is not None
    ]
