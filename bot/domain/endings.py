"""How a mentorship ends, and how it can go on: wrap-ups to both members, "Keep in touch",
alumni pairs with a light catch-up every 6 months, and the history of past pairs."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain import pairs
from bot.domain.cadence import WorkingHours, add_months, is_working_day, next_working_moment, zone
from bot.domain.errors import UserError
from bot.domain.hours import hours_of
from bot.domain.nudges import plan_wrap_up
from bot.domain.pairs import LIVE_STATES
from bot.domain.schedule import prompt_instant_on
from bot.store import deliveries
from bot.store import endings as ending_queries
from bot.store import goals as goal_queries
from bot.store.models import DeliveryKind, Goal, Pair, PairState, Person

CATCH_UP_EVERY_MONTHS = 6
PAST_STATES = (PairState.ALUMNI, PairState.ENDED)
MAX_COLLAPSED_CATCH_UPS = 100


# --- ending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ending:
    pair: Pair
    was_alumni: bool  # only the catch-ups stopped; the mentorship had ended before


def endable_pair_between(session: Session, *, a: Person, b: Person) -> Pair | None:
    """The pair `/mentor end` acts on: a live one, else alumni ones keeping in touch."""
    live = pairs.pair_between(session, a=a, b=b)
    if live is not None:
        return live
    return ending_queries.latest_between(session, a_id=a.id, b_id=b.id, states=(PairState.ALUMNI,))


def end_pair(
    session: Session, *, pair: Pair, actor: Person, hours: WorkingHours, now: datetime
) -> Ending:
    """End a live pair (wrap-ups to both members follow), or stop an alumni pair's catch-ups."""
    if pair.state is PairState.ALUMNI:
        pair.state = PairState.ENDED
        pair.next_prompt_at = None
        return Ending(pair=pair, was_alumni=True)
    pairs.end(pair, actor=actor, now=now)
    pair.kick_off_at = None
    plan_wrap_ups(session, pair=pair, hours=hours, now=now)
    return Ending(pair=pair, was_alumni=False)


def plan_wrap_ups(session: Session, *, pair: Pair, hours: WorkingHours, now: datetime) -> bool:
    """The mentee's and the mentor's wrap-ups, each in their own working hours. A request
    withdrawn before it was accepted ends without either."""
    if not plan_wrap_up(session, pair=pair, hours=hours, now=now):
        return False
    deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.MENTOR_WRAP_UP,
        period="end",
        due_at=next_working_moment(now, zone(pair.mentor.tz), hours_of(pair.mentor, default=hours)),
        now=now,
    )
    return True


# --- keeping in touch -------------------------------------------------------------------------


class KeptInTouch(enum.Enum):
    WAITING = "waiting"  # this member said yes; the other has not yet
    ALUMNI = "alumni"  # both said yes just now: catch-ups begin
    ALREADY = "already"  # nothing new: this member had said yes before


def keeps_in_touch(pair: Pair, member: Person) -> bool:
    pressed = (
        pair.mentee_keeps_in_touch_at
        if member.id == pair.mentee_id
        else pair.mentor_keeps_in_touch_at
    )
    return pressed is not None


def stopped_keeping_in_touch(pair: Pair) -> bool:
    """Alumni once, then one of them ended it: final."""
    return (
        pair.state is PairState.ENDED
        and pair.mentee_keeps_in_touch_at is not None
        and pair.mentor_keeps_in_touch_at is not None
    )


def keep_in_touch(
    session: Session, *, pair: Pair, member: Person, hours: WorkingHours, now: datetime
) -> KeptInTouch:
    """A member pressed "Keep in touch". When both have, the pair becomes alumni. The two may
    press at the same moment: the pair's row is re-read under a lock, so the second sees the
    first."""
    session.flush()
    session.refresh(pair, with_for_update=True)
    if pair.state is PairState.ALUMNI:
        return KeptInTouch.ALREADY
    if pair.state in LIVE_STATES:
        raise UserError(
            'This mentorship is still going — keep checking in! "Keep in touch" is for '
            "after a pair ends.",
            example="/checkin status",
        )
    if pair.activated_at is None or pair.state is not PairState.ENDED:
        raise UserError("This request never became a mentorship, so there is nothing to keep up.")
    if stopped_keeping_in_touch(pair):
        raise UserError(
            "One of you stopped the catch-ups for this pair, so Rounds won't restart them. "
            "A direct message is always a good way to say hello.",
            example="/mentor list",
        )
    if keeps_in_touch(pair, member):
        return KeptInTouch.ALREADY
    if member.id == pair.mentee_id:
        pair.mentee_keeps_in_touch_at = now
    else:
        pair.mentor_keeps_in_touch_at = now
    if pair.mentee_keeps_in_touch_at is None or pair.mentor_keeps_in_touch_at is None:
        return KeptInTouch.WAITING
    pair.state = PairState.ALUMNI
    pair.next_prompt_at = catch_up_after(pair, after=now, hours=hours)
    return KeptInTouch.ALUMNI


def catch_up_after(pair: Pair, *, after: datetime, hours: WorkingHours) -> datetime:
    """Six months after `after` (local date, in the mentee's zone), at the pair's time, on
    a working day, moved into the mentor's hours like any prompt."""
    day = add_months(after.astimezone(zone(pair.mentee.tz)).date(), CATCH_UP_EVERY_MONTHS)
    while not is_working_day(day):
        day += timedelta(days=1)
    return prompt_instant_on(day, pair, hours=hours)


def plan_due_catch_ups(session: Session, *, now: datetime, hours: WorkingHours, limit: int) -> int:
    """One catch-up delivery per alumni pair whose time has come; missed ones (downtime)
    collapse into the latest. Returns how many were added."""
    planned = 0
    for pair in ending_queries.alumni_due_for_catch_up(session, now=now, limit=limit):
        due = pair.next_prompt_at
        assert due is not None
        upcoming = catch_up_after(pair, after=due, hours=hours)
        for _ in range(MAX_COLLAPSED_CATCH_UPS):
            if upcoming > now:
                break
            due, upcoming = upcoming, catch_up_after(pair, after=upcoming, hours=hours)
        planned += deliveries.add_delivery(
            session,
            pair_id=pair.id,
            kind=DeliveryKind.CATCH_UP,
            period=due.astimezone(zone(pair.mentee.tz)).date().isoformat(),
            due_at=due,
            now=now,
            channel_id=pair.checkin_channel_id,
        )
        pair.next_prompt_at = upcoming
    return planned


# --- history ----------------------------------------------------------------------------------


def past_pairs_of(session: Session, person: Person) -> Sequence[Pair]:
    """Ended and alumni pairs that were once active, latest ending first."""
    return ending_queries.past_pairs_of(session, person, states=PAST_STATES)


def completed_checkins(session: Session, past: Sequence[Pair]) -> dict[int, int]:
    """Complete check-ins per pair ID, for pairs shown as history."""
    return ending_queries.completed_checkins(session, pair_ids=[pair.id for pair in past])


def goals_of(session: Session, pair: Pair) -> Sequence[Goal]:
    """Every goal a past pair set, whatever became of it: the history keeps them all."""
    return goal_queries.of_pair(session, pair_id=pair.id)
