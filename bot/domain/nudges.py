"""Nudge rules: when each kind is due, when it must be skipped, and what counts as an answer.

Every instant is computed from local dates and wall-clock times in the recipient's zone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.cadence import (
    WorkingHours,
    add_working_days,
    is_working_day,
    local_instant,
    next_prompt_date,
    next_working_day,
    next_working_moment,
    zone,
)
from bot.domain.hours import hours_of, member, pair_members, prompt_instant
from bot.domain.schedule import cadence_of, first_prompt_from, prompt_instant_on
from bot.store import checkins as checkin_queries
from bot.store import deliveries
from bot.store.models import (
    CheckIn,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Pair,
    PairState,
)

GRATITUDE_COOLDOWN = timedelta(days=30)
FOLLOW_UP_AFTER_WORKING_DAYS = 3
GOING_COLD_AFTER = 2  # unanswered prompts in a row
LIVE_DELIVERY = (DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING, DeliveryStatus.SENT)
MAX_COLLAPSED_PERIODS = 1000
# The planner and dispatcher run every few seconds; a 17:00 nudge is sent at 17:00:05.
END_OF_DAY_GRACE = timedelta(minutes=10)


# --- planning ---------------------------------------------------------------------------------


def following_prompt(pair: Pair, after: datetime, *, hours: WorkingHours) -> datetime:
    """The prompt one cadence period after the prompt at `after` (when nobody checked in)."""
    local_day = after.astimezone(zone(pair.mentee.tz)).date()
    return prompt_instant_on(
        next_prompt_date(cadence_of(pair), anchor=local_day), pair, hours=hours
    )


def answered_since(session: Session, pair: Pair, since: datetime) -> bool:
    """Did either member check in, reply or say "we met" at or after `since`?"""
    return checkin_queries.activity_since(session, pair_id=pair.id, since=since)


def _count_unanswered(session: Session, pair: Pair) -> None:
    previous = deliveries.latest_sent_prompt(session, pair.id)
    if previous is None or previous.finished_at is None:
        return
    if answered_since(session, pair, previous.finished_at):
        pair.unanswered_prompts = 0
        return
    pair.unanswered_prompts += 1
    if pair.unanswered_prompts >= GOING_COLD_AFTER:
        pair.going_cold = True


def plan_prompt(session: Session, pair: Pair, *, hours: WorkingHours, now: datetime) -> bool:
    """Turn a due `next_prompt_at` into one delivery and move the pair to its next period.
    Periods missed during downtime collapse into the latest one. True if a row was added."""
    due = pair.next_prompt_at
    assert due is not None
    upcoming = following_prompt(pair, due, hours=hours)
    for _ in range(MAX_COLLAPSED_PERIODS):
        if upcoming > now:
            break
        due, upcoming = upcoming, following_prompt(pair, upcoming, hours=hours)
    _count_unanswered(session, pair)
    period = due.astimezone(zone(pair.mentee.tz)).date().isoformat()
    added = deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.PROMPT,
        period=period,
        due_at=due,
        now=now,
        channel_id=pair.checkin_channel_id,
    )
    pair.next_prompt_at = upcoming
    return added


def end_pause_if_over(pair: Pair, *, hours: WorkingHours, now: datetime) -> bool:
    """A pause `until` a date ends at the start of that date in the mentee's zone."""
    if pair.paused_until is None:
        return False
    today = now.astimezone(zone(pair.mentee.tz)).date()
    if pair.paused_until > today:
        return False
    pair.state = PairState.ACTIVE
    pair.paused_until = None
    pair.unanswered_prompts = 0
    first = first_prompt_from(pair, now=now, hours=hours)
    if pair.next_prompt_at is None or pair.next_prompt_at < first:
        pair.next_prompt_at = first
    return True


def snooze(session: Session, pair: Pair, *, hours: WorkingHours, now: datetime) -> datetime:
    """ "Snooze a week": the next prompt comes a week after the latest one (at its local
    time), and that prompt's follow-up is dropped. Pressing it again changes nothing."""
    tz = zone(pair.mentee.tz)
    prompt = deliveries.latest_sent_prompt(session, pair.id)
    base = prompt.due_at if prompt is not None else (pair.next_prompt_at or now)
    upcoming = prompt_instant_on(base.astimezone(tz).date() + timedelta(weeks=1), pair, hours=hours)
    if upcoming <= now:  # a stale button: a week from today
        upcoming = prompt_instant_on(
            now.astimezone(tz).date() + timedelta(weeks=1), pair, hours=hours
        )
    pair.next_prompt_at = upcoming
    if prompt is not None:
        deliveries.skip_scheduled(
            session,
            pair_id=pair.id,
            kind=DeliveryKind.FOLLOW_UP,
            period=prompt.period,
            reason="snoozed",
            now=now,
        )
    return upcoming


def plan_follow_up(
    session: Session, prompt: Delivery, pair: Pair, *, hours: WorkingHours, now: datetime
) -> bool:
    """Three working days after a prompt, at the same local time, in the prompt's thread —
    moved into both members' own hours like the prompt itself."""
    mentee, mentor = pair_members(pair, default=hours)
    sent_local = prompt.due_at.astimezone(mentee.tz)
    day = add_working_days(
        max(sent_local.date(), now.astimezone(mentee.tz).date()), FOLLOW_UP_AFTER_WORKING_DAYS
    )
    moment = sent_local.time().replace(tzinfo=None)
    return deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.FOLLOW_UP,
        period=prompt.period,
        due_at=prompt_instant(day, moment, mentee=mentee, mentor=mentor),
        now=now,
        thread_ts=prompt.ts,
        channel_id=prompt.channel_id,
    )


def plan_gratitude(
    session: Session, *, pair: Pair, checkin: CheckIn, hours: WorkingHours, now: datetime
) -> bool:
    """Remind the mentee to thank their mentor the working day after a complete check-in,
    at most once per 30 days per pair. True when a reminder was planned."""
    if deliveries.recent_delivery_exists(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.GRATITUDE,
        statuses=LIVE_DELIVERY,
        due_after=now - GRATITUDE_COOLDOWN,
    ):
        return False
    mentee = member(pair.mentee, default=hours)
    day = next_working_day(now.astimezone(mentee.tz).date())
    own = mentee.hours
    moment = pair.cadence_time if own.contains(pair.cadence_time) else own.start
    return deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.GRATITUDE,
        period=f"checkin-{checkin.id}",
        due_at=local_instant(day, moment, mentee.tz),
        now=now,
    )


def plan_wrap_up(session: Session, *, pair: Pair, hours: WorkingHours, now: datetime) -> bool:
    """When a pair ends, the mentee hears a thank-you-and-pay-it-forward note, once, in
    their working hours. A request withdrawn before it was accepted ends without one."""
    if pair.activated_at is None:
        return False
    return deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.WRAP_UP,
        period="end",
        due_at=next_working_moment(now, zone(pair.mentee.tz), hours_of(pair.mentee, default=hours)),
        now=now,
    )


def plan_coordinator_alert(session: Session, *, pair: Pair, reason: str, now: datetime) -> bool:
    """Coordinators hear once per pair and reason per day that a pair was paused by an error."""
    return deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.COORDINATOR_ALERT,
        period=f"{reason[:24]}-{now.date().isoformat()}",
        due_at=now,
        now=now,
    )


# --- sending ----------------------------------------------------------------------------------


class Verdict(enum.Enum):
    SEND = "send"
    SKIP = "skip"
    LATER = "later"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str = ""
    at: datetime | None = None


SEND = Decision(Verdict.SEND)
_NEEDS_RUNNING_PAIR = (DeliveryKind.PROMPT, DeliveryKind.FOLLOW_UP, DeliveryKind.GRATITUDE)
_ONLY_ON_ITS_DAY = _NEEDS_RUNNING_PAIR


def decide(
    session: Session, delivery: Delivery, pair: Pair, *, hours: WorkingHours, now: datetime
) -> Decision:
    """Whether a claimed delivery goes out now, is skipped (and why), or waits."""
    if delivery.kind in _NEEDS_RUNNING_PAIR and pair.state is not PairState.ACTIVE:
        return Decision(Verdict.SKIP, f"pair {pair.state.value}")
    if delivery.kind is DeliveryKind.FOLLOW_UP:
        prompt = deliveries.prompt_of_follow_up(session, delivery)
        if prompt is None or prompt.status is not DeliveryStatus.SENT or prompt.finished_at is None:
            return Decision(Verdict.SKIP, "its prompt was not sent")
        if answered_since(session, pair, prompt.finished_at):
            return Decision(Verdict.SKIP, "answered")
    # Every kind here reaches the mentee (alone, or in the space whose prompt follows their
    # hours); coordinator alerts go out at once.
    hours = hours_of(pair.mentee, default=hours)
    tz = zone(pair.mentee.tz)
    local_now = now.astimezone(tz)
    in_hours = is_working_day(local_now.date()) and hours.contains(
        local_now.time().replace(tzinfo=None)
    )
    if delivery.kind in _ONLY_ON_ITS_DAY:
        due_day = delivery.due_at.astimezone(tz).date()
        # After downtime a nudge goes out only on its own local working day, in hours. A
        # nudge due at the very end of the day still goes out if it is only just late.
        after_hours = local_now.time().replace(tzinfo=None) > hours.end
        just_late = now - delivery.due_at <= END_OF_DAY_GRACE
        if local_now.date() != due_day or (after_hours and not just_late):
            return Decision(Verdict.SKIP, f"missed: due {due_day.isoformat()}")
        return SEND
    if delivery.kind is DeliveryKind.WRAP_UP and not in_hours:
        return Decision(Verdict.LATER, "outside working hours", next_working_moment(now, tz, hours))
    return SEND
