"""The kick-off: the first prompt of every new pair — requested, paired or imported.

It comes on the second working day after the pair becomes active, at the pair's time (in
the mentee's zone, moved into the mentor's hours like any prompt), and asks the two to agree
on how often to meet, how to reach each other and what the mentee hopes for, and to add
first goals. A check-in — a reply in its thread, the form, "We met" — completes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours, add_working_days, zone
from bot.domain.schedule import prompt_instant_on
from bot.store import deliveries
from bot.store import kickoff as kickoff_queries
from bot.store.models import DeliveryKind, Pair

KICK_OFF_AFTER_WORKING_DAYS = 2
KICK_OFF_PERIOD = "kick-off"


def kick_off_instant(pair: Pair, *, activated: datetime, hours: WorkingHours) -> datetime:
    activation_day = activated.astimezone(zone(pair.mentee.tz)).date()
    day = add_working_days(activation_day, KICK_OFF_AFTER_WORKING_DAYS)
    return prompt_instant_on(day, pair, hours=hours)


def schedule_kick_off(pair: Pair, *, activated: datetime, hours: WorkingHours) -> None:
    """Called as a pair becomes active; the planner turns it into an outbox delivery."""
    pair.kick_off_at = kick_off_instant(pair, activated=activated, hours=hours)


def plan_due_kick_offs(session: Session, *, now: datetime, limit: int) -> int:
    """One kick-off delivery per pair whose time has come. Paused pairs keep theirs until
    they resume. Returns how many were added."""
    planned = 0
    for pair in kickoff_queries.pairs_due_for_kick_off(session, now=now, limit=limit):
        due = pair.kick_off_at
        assert due is not None
        pair.kick_off_at = None
        planned += deliveries.add_delivery(
            session,
            pair_id=pair.id,
            kind=DeliveryKind.KICK_OFF,
            period=KICK_OFF_PERIOD,
            due_at=due,
            now=now,
            channel_id=pair.checkin_channel_id,
        )
    return planned


def already_under_way(pair: Pair) -> bool:
    """A pair that completed a check-in before its kick-off has had the conversation."""
    return pair.last_complete_checkin_at is not None
