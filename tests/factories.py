"""Rows made directly through the domain services, for tests that start mid-story."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import pairs, people
from bot.domain.cadence import WorkingHours
from bot.service import Database
from bot.store.models import Pair, Person
from tests.slack_requests import TEAM_ID


def make_person(session, slack_user_id: str, *, tz: str = "America/New_York", **fields) -> Person:  # type: ignore[no-untyped-def]
    workspace = people.workspace_for(session, team_id=TEAM_ID)
    person = people.person_for(session, workspace=workspace, slack_user_id=slack_user_id)
    person.tz = tz
    for name, value in fields.items():
        setattr(person, name, value)
    return person


def make_pair(
    database: Database,
    *,
    mentee: str,
    mentor: str,
    now: datetime | None = None,
    mentee_tz: str = "America/New_York",
    mentor_tz: str = "America/New_York",
    channel: str | None = None,
    kick_off_behind_it: bool = False,
) -> int:
    """An active pair, paired by a coordinator at `now`. With `kick_off_behind_it`, its
    kick-off is taken as already sent, for tests about what comes after."""
    with database.sessions.begin() as session:
        pair: Pair = pairs.pair_directly(
            session,
            mentee=make_person(session, mentee, tz=mentee_tz),
            mentor=make_person(session, mentor, tz=mentor_tz),
            default_capacity=5,
            hours=WorkingHours(),
            now=now or datetime.now(UTC),
        )
        pair.checkin_channel_id = channel
        if kick_off_behind_it:
            pair.kick_off_at = None
        session.flush()
        return pair.id
