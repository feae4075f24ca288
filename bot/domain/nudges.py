"""Nudge rules: when each kind is due, when it must be skipped, and what counts as an answer.

Every instant is computed from local dates and wall-clock times in the recipient's zone.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from bot.domain import relationship_nudges
from bot.domain.cadence import (
    WorkingHours,
    is_working_day,
    local_instant,
    next_prompt_date,
    next_working_day,
    next_working_moment,
    zone,
)
from bot.domain.hours import hours_of, pair_members, prompt_instant
from bot.domain.program.calendar import WEEKDAYS, WorkingCalendar
from bot.domain.schedule import PairSchedule, cadence_of, first_prompt_from, prompt_instant_on
from bot.store import checkins as checkin_queries
from bot.store import deliveries, planning
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


class DueForPrompt(PairSchedule, Protocol):
    """What planning a prompt reads of a due pair besides its timing."""

    @property
    def id(self) -> int: ...
    @property
    def workspace_id(self) -> int: ...
    @property
    def next_prompt_at(self) -> datetime | None: ...
    @property
    def unanswered_prompts(self) -> int: ...
    @property
    def going_cold(self) -> bool: ...
    @property
    def checkin_channel_id(self) -> str | None: ...


def following_prompt(pair: PairSchedule, after: datetime, *, hours: WorkingHours) -> datetime:
    """The prompt one cadence period after the prompt at `after` (when nobody checked in)."""
    local_day = after.astimezone(zone(pair.mentee.tz)).date()
    return prompt_instant_on(
        next_prompt_date(cadence_of(pair), anchor=local_day), pair, hours=hours
    )


def answered_since(session: Session, pair: Pair, since: datetime) -> bool:
    """Did either member check in, reply or say "we met" at or after `since`?"""
    return checkin_queries.activity_since(session, pair_id=pair.id, since=since)


def unanswered_after(
    pair: DueForPrompt, *, previous_prompt_at: datetime | None, answered: bool
) -> tuple[int, bool]:
    """The pair's unanswered-prompt count and going-cold flag once its next prompt is
    planned: the previous prompt (sent at `previous_prompt_at`) was answered or not."""
    if previous_prompt_at is None:
        return pair.unanswered_prompts, pair.going_cold
    if answered:
        return 0, pair.going_cold
    unanswered = pair.unanswered_prompts + 1
    return unanswered, pair.going_cold or unanswered >= GOING_COLD_AFTER


def _count_unanswered(session: Session, pair: Pair) -> None:
    previous = deliveries.latest_sent_prompt(session, pair.id)
    finished = previous.finished_at if previous is not None else None
    answered = finished is not None and answered_since(session, pair, finished)
    pair.unanswered_prompts, pair.going_cold = unanswered_after(
        pair, previous_prompt_at=finished, answered=answered
    )


def _blackout_for_space(
    pair: PairSchedule, moment: datetime, calendar: WorkingCalendar
) -> str | None:
    """Why `moment` is a blackout day for either member of the pair (their local dates)."""
    for member in (pair.mentee, pair.mentor):
        name = calendar.blackout_on(moment.astimezone(zone(member.tz)).date())
        if name is not None:
            return name
    return None


def prompt_outside_blackouts(
    pair: PairSchedule, due: datetime, *, hours: WorkingHours, calendar: WorkingCalendar
) -> datetime:
    """`due`, or — when it falls on a blackout day — the pair's prompt time on the first
    working day after it (both members' local dates)."""
    if _blackout_for_space(pair, due, calendar) is None:
        return due
    day = due.astimezone(zone(pair.mentee.tz)).date()
    moved = due
    for _ in range(MAX_COLLAPSED_PERIODS):
        day = calendar.next_working_day(day)
        moved = prompt_instant_on(day, pair, hours=hours)
        if _blackout_for_space(pair, moved, calendar) is None:
            break
    return moved


@dataclass(frozen=True)
class PlannedPrompt:
    """A due pair's prompt: the period it is for, when it goes out, and the next one."""

    period: str
    due_at: datetime
    next_prompt_at: datetime


def next_prompt_of(
    pair: DueForPrompt,
    *,
    hours: WorkingHours,
    now: datetime,
    calendar: WorkingCalendar = WEEKDAYS,
) -> PlannedPrompt:
    """The prompt a due pair gets now. Periods missed during downtime collapse into the
    latest one; a prompt on a blackout day moves to the first working day after it; the next
    prompt is the first one after both `now` and this one."""
    due = pair.next_prompt_at
    assert due is not None
    upcoming = following_prompt(pair, due, hours=hours)
    for _ in range(MAX_COLLAPSED_PERIODS):
        if upcoming > now:
            break
        due, upcoming = upcoming, following_prompt(pair, upcoming, hours=hours)
    moved = prompt_outside_blackouts(pair, due, hours=hours, calendar=calendar)
    # The rhythm keeps its weekday; periods that fell inside the blackout are this prompt.
    for _ in range(MAX_COLLAPSED_PERIODS):
        if upcoming > moved:
            break
        upcoming = following_prompt(pair, upcoming, hours=hours)
    period = moved.astimezone(zone(pair.mentee.tz)).date().isoformat()
    return PlannedPrompt(period=period, due_at=moved, next_prompt_at=upcoming)


def plan_prompt(
    session: Session,
    pair: Pair,
    *,
    hours: WorkingHours,
    now: datetime,
    calendar: WorkingCalendar = WEEKDAYS,
) -> bool:
    """Turn a due `next_prompt_at` into one delivery and move the pair to its next period
    (see `next_prompt_of`). True if a row was added."""
    planned = next_prompt_of(pair, hours=hours, now=now, calendar=calendar)
    _count_unanswered(session, pair)
    added = deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.PROMPT,
        period=planned.period,
        due_at=planned.due_at,
        now=now,
        channel_id=pair.checkin_channel_id,
    )
    pair.next_prompt_at = planned.next_prompt_at
    return added


def _schedule_key(pair: DueForPrompt) -> tuple[object, ...]:
    """Everything `next_prompt_of` reads of a pair (the calendar is the workspace's)."""
    mentee, mentor = pair.mentee, pair.mentor
    return (
        pair.workspace_id,
        pair.next_prompt_at,
        pair.cadence_unit,
        pair.cadence_interval,
        pair.cadence_weekday,
        pair.cadence_time,
        mentee.tz,
        mentee.work_start,
        mentee.work_end,
        mentor.tz,
        mentor.work_start,
        mentor.work_end,
    )


def plan_prompts(
    session: Session,
    due: Sequence[DueForPrompt],
    *,
    hours: WorkingHours,
    now: datetime,
    calendar_of: Callable[[int], WorkingCalendar] = lambda _workspace_id: WEEKDAYS,
) -> int:
    """`plan_prompt` for a whole batch of due pairs (read as rows by
    bot.store.planning.due_pairs), by the same rules, in a few statements whatever the batch's
    size; `calendar_of` gives a workspace's calendar. How many deliveries were added."""
    previous = planning.latest_sent_prompts(session, [pair.id for pair in due])
    answered = planning.answered_since(session, previous)
    rows, schedules = [], []
    # A launch's pairs, or a downtime's, share a few rhythms, zones, working hours and due
    # times: each distinct schedule is worked out once per batch.
    planned_for: dict[tuple[object, ...], PlannedPrompt] = {}
    for pair in due:
        key = _schedule_key(pair)
        planned = planned_for.get(key)
        if planned is None:
            planned = planned_for[key] = next_prompt_of(
                pair, hours=hours, now=now, calendar=calendar_of(pair.workspace_id)
            )
        unanswered, cold = unanswered_after(
            pair, previous_prompt_at=previous.get(pair.id), answered=pair.id in answered
        )
        rows.append(
            {
                "pair_id": pair.id,
                "kind": DeliveryKind.PROMPT,
                "period": planned.period,
                "due_at": planned.due_at,
                "created_at": now,
                "channel_id": pair.checkin_channel_id,
            }
        )
        schedules.append(
            {
                "id": pair.id,
                "next_prompt_at": planned.next_prompt_at,
                "unanswered_prompts": unanswered,
                "going_cold": cold,
            }
        )
    added = planning.add_deliveries(session, rows)
    planning.advance_pairs(session, schedules)
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


@dataclass(frozen=True)
class Snoozed:
    next_prompt_at: datetime
    moved: bool  # False: the next prompt already came at least that late
    follow_up_dropped: bool

    @property
    def changed(self) -> bool:
        return self.moved or self.follow_up_dropped


def snooze(session: Session, pair: Pair, *, hours: WorkingHours, now: datetime) -> Snoozed:
    """ "Snooze a week": no nudge for a week after the latest prompt — its follow-up is
    dropped and the next prompt comes a week after it (at its local time) at the earliest.
    Snooze only postpones: a next prompt that is already later (the cadence is longer than
    a week, the pair checked in since, someone snoozed before) stays where it is."""
    tz = zone(pair.mentee.tz)
    prompt = deliveries.latest_sent_prompt(session, pair.id)
    base = prompt.due_at if prompt is not None else (pair.next_prompt_at or now)
    upcoming = prompt_instant_on(base.astimezone(tz).date() + timedelta(weeks=1), pair, hours=hours)
    if upcoming <= now:  # a stale button: a week from today
        upcoming = prompt_instant_on(
            now.astimezone(tz).date() + timedelta(weeks=1), pair, hours=hours
        )
    dropped = prompt is not None and (
        deliveries.skip_scheduled(
            session,
            pair_id=pair.id,
            kind=DeliveryKind.FOLLOW_UP,
            period=prompt.period,
            reason="snoozed",
            now=now,
        )
        > 0
    )
    current = pair.next_prompt_at
    if current is not None and current >= upcoming:
        return Snoozed(next_prompt_at=current, moved=False, follow_up_dropped=dropped)
    pair.next_prompt_at = upcoming
    return Snoozed(next_prompt_at=upcoming, moved=True, follow_up_dropped=dropped)


def follow_up_due(
    prompt: Delivery,
    pair: Pair,
    *,
    hours: WorkingHours,
    now: datetime,
    calendar: WorkingCalendar = WEEKDAYS,
) -> datetime:
    """Three working days after a prompt sent `now` (blackout days don't count), at the same
    local time — moved into both members' own hours like the prompt itself."""
    mentee, mentor = pair_members(pair, default=hours)
    sent_local = prompt.due_at.astimezone(mentee.tz)
    day = calendar.add_working_days(
        max(sent_local.date(), now.astimezone(mentee.tz).date()), FOLLOW_UP_AFTER_WORKING_DAYS
    )
    moment = sent_local.time().replace(tzinfo=None)
    return prompt_instant(day, moment, mentee=mentee, mentor=mentor)


def plan_follow_up(
    session: Session,
    prompt: Delivery,
    pair: Pair,
    *,
    hours: WorkingHours,
    now: datetime,
    calendar: WorkingCalendar = WEEKDAYS,
) -> bool:
    """The follow-up of a prompt (`follow_up_due`), in the prompt's thread."""
    return deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.FOLLOW_UP,
        period=prompt.period,
        due_at=follow_up_due(prompt, pair, hours=hours, now=now, calendar=calendar),
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
    mentee, _ = pair_members(pair, default=hours)
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
_ONLY_ON_ITS_DAY = (*_NEEDS_RUNNING_PAIR, *relationship_nudges.ONLY_ON_ITS_DAY)


_KEPT_OFF_BLACKOUTS = (*_NEEDS_RUNNING_PAIR, DeliveryKind.WRAP_UP, *relationship_nudges.KINDS)


def _after_blackout(
    delivery: Delivery, pair: Pair, *, hours: WorkingHours, now: datetime, calendar: WorkingCalendar
) -> datetime:
    """When a nudge held by a blackout goes out: a prompt at the pair's time on the first
    working day after it; anything else at its own local time then."""
    if delivery.kind is DeliveryKind.PROMPT:
        return prompt_outside_blackouts(pair, now, hours=hours, calendar=calendar)
    tz = zone(pair.mentee.tz)
    own = hours_of(pair.mentee, default=hours)  # gratitude and wrap-ups reach the mentee
    moment = delivery.due_at.astimezone(tz).time().replace(tzinfo=None)
    if not own.contains(moment):
        moment = own.start
    day = now.astimezone(tz).date()
    for _ in range(MAX_COLLAPSED_PERIODS):
        day = calendar.next_working_day(day)
        at = local_instant(day, moment, tz)
        if _blackout_for_space(pair, at, calendar) is None:
            return at
    return at


def decide(
    session: Session,
    delivery: Delivery,
    pair: Pair,
    *,
    hours: WorkingHours,
    now: datetime,
    calendar: WorkingCalendar = WEEKDAYS,
) -> Decision:
    """Whether a claimed delivery goes out now, is skipped (and why), or waits."""
    if delivery.kind in _NEEDS_RUNNING_PAIR and pair.state is not PairState.ACTIVE:
        return Decision(Verdict.SKIP, f"pair {pair.state.value}")
    if delivery.kind is DeliveryKind.WELCOME:
        if pair.state not in (PairState.ACTIVE, PairState.PAUSED):
            return Decision(Verdict.SKIP, f"pair {pair.state.value}")
        return SEND
    objection = relationship_nudges.objection(session, delivery, pair)
    if objection is not None:
        return Decision(Verdict.SKIP, objection)
    if delivery.kind in _KEPT_OFF_BLACKOUTS:
        blackout = _blackout_for_space(pair, now, calendar)
        if blackout is not None:
            at = _after_blackout(delivery, pair, hours=hours, now=now, calendar=calendar)
            return Decision(Verdict.LATER, f"blackout: {blackout}"[:200], at)
    if delivery.kind is DeliveryKind.FOLLOW_UP:
        prompt = deliveries.prompt_of_follow_up(session, delivery)
        if prompt is None or prompt.status is not DeliveryStatus.SENT or prompt.finished_at is None:
            return Decision(Verdict.SKIP, "its prompt was not sent")
        if answered_since(session, pair, prompt.finished_at):
            return Decision(Verdict.SKIP, "answered")
    # Each kind keeps its recipient's own zone and working hours: the mentor's for their own
    # wrap-up, the mentee's for everything else (check-in space posts follow the mentee).
    recipient = pair.mentor if delivery.kind is DeliveryKind.MENTOR_WRAP_UP else pair.mentee
    hours = hours_of(recipient, default=hours)
    tz = zone(relationship_nudges.recipient_zone(delivery, pair))
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
    if delivery.kind in relationship_nudges.IN_RECIPIENTS_HOURS and not in_hours:
        return Decision(Verdict.LATER, "outside working hours", next_working_moment(now, tz, hours))
    return SEND
