"""Keeps cached time zones fresh for people who never talk to Rounds, off the nudge path."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours, zone
from bot.domain.pairs import CAPACITY_STATES
from bot.domain.people import Profile, apply_profile
from bot.domain.schedule import prompt_instant_on
from bot.store.db import SessionFactory
from bot.store.models import Pair, PairState, Person

log = logging.getLogger("rounds.profiles")

STALE_AFTER = timedelta(days=7)
BATCH = 50


def refresh_stale_profiles(
    sessions: SessionFactory, client: WebClient, *, hours: WorkingHours, now: datetime
) -> int:
    """Re-read up to BATCH stale profiles; when a zone changed, keep the local prompt time.
    Returns how many were refreshed."""
    refreshed = 0
    with sessions() as session:
        in_pairs = (
            select(Pair.mentee_id)
            .where(Pair.state.in_(CAPACITY_STATES))
            .union(select(Pair.mentor_id).where(Pair.state.in_(CAPACITY_STATES)))
        )
        stale = session.execute(
            select(Person)
            .where(
                Person.id.in_(in_pairs),
                or_(
                    Person.profile_refreshed_at.is_(None),
                    Person.profile_refreshed_at < now - STALE_AFTER,
                ),
            )
            .order_by(Person.profile_refreshed_at.nulls_first())
            .limit(BATCH)
        ).scalars()
        for person in list(stale):
            try:
                user = client.users_info(user=person.slack_user_id)["user"]
            except SlackApiError as error:
                if error.response.status_code == 429:
                    break  # try the rest on a later pass
                log.warning(
                    "could not refresh %s: %s", person.slack_user_id, error.response.get("error")
                )
                person.profile_refreshed_at = now
                continue
            planned_days = _prompt_days(session, person)
            apply_profile(
                person,
                Profile(
                    tz=user.get("tz"), is_admin=bool(user.get("is_admin") or user.get("is_owner"))
                ),
                now=now,
            )
            for pair, day in planned_days:
                pair.next_prompt_at = prompt_instant_on(day, pair, hours=hours)
            refreshed += 1
        session.commit()
    return refreshed


def _prompt_days(session: Session, person: Person) -> list[tuple[Pair, date]]:
    """Each active pair's next prompt as a local date, before the zone changes."""
    pairs = session.execute(
        select(Pair).where(
            Pair.state == PairState.ACTIVE,
            Pair.next_prompt_at.is_not(None),
            or_(Pair.mentee_id == person.id, Pair.mentor_id == person.id),
        )
    ).scalars()
    return [
        (pair, pair.next_prompt_at.astimezone(zone(pair.mentee.tz)).date())
        for pair in pairs
        if pair.next_prompt_at is not None
    ]
