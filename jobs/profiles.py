"""Keeps cached time zones fresh for people who never talk to Rounds, off the nudge path."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours, zone
from bot.domain.pairs import CAPACITY_STATES
from bot.domain.people import apply_profile
from bot.domain.schedule import prompt_instant_on
from bot.slack_out import FaultKind, SlackClient, classify, fetch_profile
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
    sessions: SessionFactory, client: SlackClient, *, hours: WorkingHours, now: datetime
) -> int:
    """Re-read up to BATCH stale profiles; when a zone changed, keep the local prompt time.
    Returns how many were refreshed."""
    refreshed = 0
    with sessions() as session:
        stale = people_queries.stale_people_in_pairs(
            session, states=ZONE_MATTERS, refreshed_before=now - STALE_AFTER, limit=BATCH
        )
        for person in stale:
            try:
                profile = fetch_profile(client, person.slack_user_id)
            except Exception as error:
                if classify(error).kind is FaultKind.RATE_LIMITED:
                    break  # the rest wait for a later pass
                log.warning("could not refresh %s: %s", person.slack_user_id, error)
                person.profile_refreshed_at = now
                continue
            if profile is None:
                person.profile_refreshed_at = now
                continue
            planned_days = _prompt_days(session, person)
            apply_profile(person, profile, now=now)
            for pair, day in planned_days:
                pair.next_prompt_at = prompt_instant_on(day, pair, hours=hours)
            refreshed += 1
        session.commit()
    return refreshed


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
