"""Check-ins: who showed up and when. A round is complete when the mentee checked in and the
mentor answered, or when either member says "we met". Message text is never stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours, zone
from bot.domain.directory import plan_pay_it_forward
from bot.domain.errors import UserError
from bot.domain.nudges import plan_gratitude
from bot.domain.schedule import next_prompt_after_checkin
from bot.store import checkins as checkin_queries
from bot.store import deliveries
from bot.store import pairs as pair_queries
from bot.store.models import CheckIn, Pair, PairState, Person

RUNNING_STATES = (PairState.ACTIVE, PairState.PAUSED)


@dataclass(frozen=True)
class Recorded:
    checkin: CheckIn
    pair: Pair
    role: str  # "mentee" or "mentor"
    completed_now: bool


def pair_clock(session: Session, pair: Pair, now: datetime) -> datetime:
    """Now, but never before the pair's latest nudge: an answer follows what it answers.
    (Always `now` in production; keeps `jobs tick --at` rehearsals of the future coherent.)"""
    latest = deliveries.latest_post_time(session, pair.id)
    return max(now, latest) if latest is not None else now


def require_running(pair: Pair) -> None:
    if pair.state not in RUNNING_STATES:
        raise UserError(
            "Check-ins start once the mentor has accepted; `/mentor list` shows your pairs.",
            example="/mentor list",
        )


def _begin_recording(session: Session, pair: Pair, now: datetime) -> datetime:
    """Check the pair can take a check-in, hold its row, and read its clock."""
    require_running(pair)
    pair_queries.lock(session, pair)
    return pair_clock(session, pair, now)


def _open_round(session: Session, pair: Pair, *, now: datetime) -> CheckIn:
    checkin = checkin_queries.open_round(session, pair_id=pair.id)
    if checkin is None:
        checkin = CheckIn(pair=pair, opened_at=now, goals_moved=0)
        session.add(checkin)
    return checkin


def _complete_if_ready(
    checkin: CheckIn, pair: Pair, *, session: Session, hours: WorkingHours, now: datetime
) -> bool:
    ready = checkin.met_on is not None or (
        checkin.mentee_checked_in_at is not None and checkin.mentor_responded_at is not None
    )
    if not ready or checkin.completed_at is not None:
        return False
    checkin.completed_at = now
    first_ever = pair.last_complete_checkin_at is None
    pair.last_complete_checkin_at = now
    pair.unanswered_prompts = 0
    pair.going_cold = False
    # Engaged pairs are not nagged: the cadence clock restarts now.
    pair.next_prompt_at = next_prompt_after_checkin(pair, anchor=now, hours=hours)
    session.flush()
    plan_gratitude(session, pair=pair, checkin=checkin, hours=hours, now=now)
    if first_ever:
        plan_pay_it_forward(session, pair=pair, first_checkin_at=now, hours=hours, now=now)
    return True


def record_mentee_update(
    session: Session,
    *,
    pair: Pair,
    channel_id: str,
    ts: str,
    goals_moved: int,
    met_on: date | None,
    hours: WorkingHours,
    now: datetime,
) -> Recorded:
    """The mentee posted an update (by /checkin or the form) into the check-in space."""
    now = _begin_recording(session, pair, now)
    checkin = _open_round(session, pair, now=now)
    checkin.mentee_checked_in_at = now
    # A second post before the mentor answers joins the round: a reply to either counts.
    checkin_queries.add_post(session, checkin=checkin, channel_id=channel_id, ts=ts)
    checkin.goals_moved += goals_moved
    if met_on is not None:
        checkin.met_on = met_on
    session.flush()
    done = _complete_if_ready(checkin, pair, session=session, hours=hours, now=now)
    return Recorded(checkin=checkin, pair=pair, role="mentee", completed_now=done)


def check_met_on(met_on: date, *, today: date) -> date:
    if met_on > today:
        raise UserError(
            f'{met_on.isoformat()} is in the future; "we met" is for meetings that happened.'
        )
    if today - met_on > timedelta(days=120):
        raise UserError("That is more than four months ago; pick the date of your latest meeting.")
    return met_on


def record_meeting(
    session: Session,
    *,
    pair: Pair,
    actor: Person,
    met_on: date | None,
    hours: WorkingHours,
    now: datetime,
) -> Recorded:
    """Either member says they met: the round is complete."""
    now = _begin_recording(session, pair, now)
    today = now.astimezone(zone(actor.tz)).date()
    latest = last_complete(session, pair)
    if (
        latest is not None
        and latest.completed_at is not None
        and latest.completed_at.astimezone(zone(actor.tz)).date() == today
        and not checkin_queries.has_open_activity(session, pair_id=pair.id)
    ):
        # A second "we met" on the same day is the same meeting.
        return Recorded(checkin=latest, pair=pair, role=_role(pair, actor), completed_now=False)
    checkin = _open_round(session, pair, now=now)
    checkin.met_on = check_met_on(met_on or today, today=today)
    session.flush()
    done = _complete_if_ready(checkin, pair, session=session, hours=hours, now=now)
    return Recorded(checkin=checkin, pair=pair, role=_role(pair, actor), completed_now=done)


def _role(pair: Pair, person: Person) -> str:
    return "mentee" if person.id == pair.mentee_id else "mentor"


def pair_for_thread(session: Session, *, channel_id: str, thread_ts: str) -> Pair | None:
    """The pair whose check-in post or nudge started this thread, if Rounds started it."""
    pair_id = checkin_queries.pair_id_for_thread(
        session, channel_id=channel_id, thread_ts=thread_ts
    )
    return session.get(Pair, pair_id) if pair_id is not None else None


def _round_answered_in_thread(
    session: Session, pair: Pair, *, channel_id: str, thread_ts: str, now: datetime
) -> CheckIn | None:
    """The round a reply in this thread answers; None once that round is complete.

    Only the first answer counts: a thank-you exchange in a finished thread is not a new
    check-in, and a mentor's afterthought there does not answer the next one."""
    posted = checkin_queries.round_of_post(session, channel_id=channel_id, ts=thread_ts)
    if posted is not None:
        return posted if posted.completed_at is None else None
    nudge = checkin_queries.nudge_of_thread(session, channel_id=channel_id, thread_ts=thread_ts)
    if nudge is None:
        return None
    # A nudge asks for the round that follows it; once a round was completed after the
    # nudge went out (in its thread, by a check-in post or by "we met"), it is answered.
    latest = checkin_queries.latest_complete(session, pair_id=pair.id)
    if (
        latest is not None
        and latest.completed_at is not None
        and nudge.finished_at is not None
        and latest.completed_at >= nudge.finished_at
    ):
        return None
    return _open_round(session, pair, now=now)


def record_thread_reply(
    session: Session,
    *,
    channel_id: str,
    thread_ts: str,
    author: str,
    hours: WorkingHours,
    now: datetime,
    team_id: str | None = None,
) -> Recorded | None:
    """A member replied in the thread of a check-in post or a nudge. None: not ours, not a
    member, the thread's round is already complete, or nothing new (a second reply by the
    same member in the same round). With `team_id`, a thread of another workspace's pair is
    not ours either, whatever its IDs look like."""
    pair = pair_for_thread(session, channel_id=channel_id, thread_ts=thread_ts)
    if pair is None or pair.state not in RUNNING_STATES:
        return None
    if team_id is not None and pair.workspace.team_id != team_id:
        return None
    if author == pair.mentor.slack_user_id:
        role = "mentor"
    elif author == pair.mentee.slack_user_id:
        role = "mentee"
    else:
        return None
    # Held from here on, so two replies arriving together see each other's round.
    pair_queries.lock(session, pair)
    now = pair_clock(session, pair, now)
    checkin = _round_answered_in_thread(
        session, pair, channel_id=channel_id, thread_ts=thread_ts, now=now
    )
    if checkin is None:
        return None
    if role == "mentor":
        if checkin.mentor_responded_at is not None:
            return None
        checkin.mentor_responded_at = now
    else:
        if checkin.mentee_checked_in_at is not None:
            return None
        checkin.mentee_checked_in_at = now
    session.flush()
    done = _complete_if_ready(checkin, pair, session=session, hours=hours, now=now)
    return Recorded(checkin=checkin, pair=pair, role=role, completed_now=done)


def last_complete(session: Session, pair: Pair) -> CheckIn | None:
    return checkin_queries.latest_complete(session, pair_id=pair.id)


def recent_checkins(
    session: Session, pairs: Sequence[Pair], *, limit: int = 5
) -> Sequence[CheckIn]:
    return checkin_queries.recent(session, pair_ids=[pair.id for pair in pairs], limit=limit)
