"""Pairs: requests and consent, coordinator pairing, rhythm, pauses and endings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.cadence import Cadence, WorkingHours, zone
from bot.domain.errors import UserError
from bot.domain.kickoff import schedule_kick_off
from bot.domain.schedule import first_prompt_from, next_prompt_after_checkin
from bot.store import pairs as pair_queries
from bot.store import people as people_queries
from bot.store.models import Pair, PairState, Person

LIVE_STATES = (PairState.PENDING, PairState.ACTIVE, PairState.PAUSED)
CAPACITY_STATES = (PairState.ACTIVE, PairState.PAUSED)
MAX_PAUSE = timedelta(weeks=26)
DEFAULT_CADENCE = Cadence()  # every 2 weeks, Tuesday 09:00 in the mentee's zone


def live_pairs_of(session: Session, person: Person) -> Sequence[Pair]:
    """The person's pending, active and paused pairs, as mentee and as mentor."""
    return pair_queries.pairs_of(session, person, states=LIVE_STATES)


def other_member(pair: Pair, person: Person) -> Person:
    return pair.mentor if pair.mentee_id == person.id else pair.mentee


def is_member(pair: Pair, person: Person) -> bool:
    return person.id in (pair.mentee_id, pair.mentor_id)


def pair_between(session: Session, *, a: Person, b: Person) -> Pair | None:
    return pair_queries.pair_between(session, a=a, b=b, states=LIVE_STATES)


def require_pair_with(session: Session, *, actor: Person, other: Person, example: str) -> Pair:
    pair = pair_between(session, a=actor, b=other)
    if pair is None:
        raise UserError(
            f"You and <@{other.slack_user_id}> are not paired in Rounds. "
            "`/mentor list` shows your pairs.",
            example=example,
        )
    return pair


def mentor_capacity(mentor: Person, *, default: int) -> int:
    return mentor.mentor_capacity or default


def _check_capacity(session: Session, mentor: Person, *, default_capacity: int) -> None:
    capacity = mentor_capacity(mentor, default=default_capacity)
    if pair_queries.count_mentees(session, mentor, states=CAPACITY_STATES) >= capacity:
        raise UserError(
            f"<@{mentor.slack_user_id}> already mentors {capacity} students, their limit. "
            "Ask another mentor, or ask your coordinator.",
            example="/mentor request @another-mentor I'd love guidance on research",
        )


def _hold_capacity(session: Session, mentor: Person, *, default_capacity: int) -> None:
    """Check capacity holding the mentor's row until commit, so two pairs started at once
    (two accepts, an accept and a coordinator's pairing) cannot both take the last place.
    SQLite needs no lock: every write transaction there already runs alone."""
    people_queries.lock(session, person_id=mentor.id)
    _check_capacity(session, mentor, default_capacity=default_capacity)


def _already_paired(existing: Pair, *, asker: Person | None) -> UserError:
    """Why a new pair cannot start: the two people already have a live pair, in some direction.
    `asker` is the student making a request; None for a coordinator pairing two others."""
    mentee, mentor = existing.mentee.slack_user_id, existing.mentor.slack_user_id
    if existing.state is PairState.PENDING and asker is not None:
        if asker.id == existing.mentor_id:
            return UserError(
                f"<@{mentee}> already asked you to be their mentor — accept their request "
                "(in your DMs from Rounds) to start, or decline it first if you'd rather ask "
                "them to mentor you.",
                example="/mentor list",
            )
        return UserError(
            f"You already asked <@{mentor}>; their answer is still pending. "
            "`/mentor list` shows your pairs.",
            example="/mentor list",
        )
    if existing.state is PairState.PENDING:
        return UserError(
            f"<@{mentee}> already asked <@{mentor}> to be their mentor and is waiting for an "
            f"answer. <@{mentor}> can accept it, or you can end that request first.",
            example=f"/mentor end <@{mentee}> <@{mentor}>",
        )
    return UserError(
        f"<@{mentee}> and <@{mentor}> are already paired ({existing.state}). "
        "`/mentor list` shows your pairs.",
        example="/mentor list",
    )


def _check_new_pair(
    session: Session, *, mentee: Person, mentor: Person, asker: Person | None
) -> None:
    if mentee.id == mentor.id:
        raise UserError(
            "You can't mentor yourself — name someone else.",
            example="/mentor request @Dr. Patel I'd love guidance on research",
        )
    existing = pair_between(session, a=mentee, b=mentor)
    if existing is not None:
        raise _already_paired(existing, asker=asker)


def _insert(session: Session, pair: Pair, *, asker: Person | None) -> None:
    """Add a new pair; the database keeps one live pair per two people. Losing that race to a
    request committed a moment ago gets the same answer as arriving after it."""
    if pair_queries.add_unless_taken(session, pair):
        return
    _check_new_pair(session, mentee=pair.mentee, mentor=pair.mentor, asker=asker)
    raise UserError(  # the other pair ended again in between: asking again will work
        f"<@{pair.mentor.slack_user_id}> and <@{pair.mentee.slack_user_id}> were being paired "
        "by someone else at the same moment. Please try again.",
        example="/mentor list",
    )


def _new_pair(*, mentee: Person, mentor: Person, now: datetime) -> Pair:
    # Column defaults apply only at INSERT; the schedule is computed before that.
    return Pair(
        workspace_id=mentee.workspace_id,
        mentee=mentee,
        mentor=mentor,
        state=PairState.PENDING,
        cadence_unit=DEFAULT_CADENCE.unit,
        cadence_interval=DEFAULT_CADENCE.interval,
        cadence_weekday=DEFAULT_CADENCE.weekday,
        cadence_time=DEFAULT_CADENCE.at,
        unanswered_prompts=0,
        going_cold=False,
        thanks_sent=0,
        requested_at=now,
    )


def request_mentor(
    session: Session, *, mentee: Person, mentor: Person, default_capacity: int, now: datetime
) -> Pair:
    _check_new_pair(session, mentee=mentee, mentor=mentor, asker=mentee)
    # Advisory: the place is only taken, under a lock, when the mentor accepts.
    _check_capacity(session, mentor, default_capacity=default_capacity)
    pair = _new_pair(mentee=mentee, mentor=mentor, now=now)
    _insert(session, pair, asker=mentee)
    return pair


def _activate(pair: Pair, *, now: datetime, hours: WorkingHours) -> None:
    pair.state = PairState.ACTIVE
    pair.activated_at = now
    pair.next_prompt_at = next_prompt_after_checkin(pair, anchor=now, hours=hours)
    schedule_kick_off(pair, activated=now, hours=hours)


def answer_request(
    session: Session,
    *,
    pair: Pair,
    actor: Person,
    accept: bool,
    default_capacity: int,
    hours: WorkingHours,
    now: datetime,
) -> None:
    if actor.id != pair.mentor_id:
        raise UserError("Only the person who was asked can answer this request.")
    if accept:
        _hold_capacity(session, pair.mentor, default_capacity=default_capacity)
    # Read the state again, locked: a second click (or the other button) may have answered a
    # moment ago, and only one answer may start the pair.
    session.refresh(pair, with_for_update=True)
    if pair.state is not PairState.PENDING:
        raise UserError("This request was already answered.")
    if not accept:
        pair.state = PairState.DECLINED
        pair.ended_at = now
        return
    _activate(pair, now=now, hours=hours)


def pair_directly(
    session: Session,
    *,
    mentee: Person,
    mentor: Person,
    default_capacity: int,
    hours: WorkingHours,
    now: datetime,
) -> Pair:
    """A coordinator's pairing: active at once, no consent round."""
    _check_new_pair(session, mentee=mentee, mentor=mentor, asker=None)
    _hold_capacity(session, mentor, default_capacity=default_capacity)
    pair = _new_pair(mentee=mentee, mentor=mentor, now=now)
    _activate(pair, now=now, hours=hours)
    _insert(session, pair, asker=None)
    return pair


def _require_running(pair: Pair, *, verb: str) -> None:
    if pair.state is PairState.PENDING:
        raise UserError(
            f"This pair is still waiting for the mentor's answer; you can't {verb} it yet.",
            example="/mentor list",
        )


def set_cadence(pair: Pair, *, cadence: Cadence, hours: WorkingHours, now: datetime) -> None:
    _require_running(pair, verb="change the rhythm of")
    pair.cadence_unit = cadence.unit
    pair.cadence_interval = cadence.interval
    pair.cadence_weekday = cadence.weekday
    pair.cadence_time = cadence.at
    anchor = pair.last_complete_checkin_at or pair.activated_at or now
    next_prompt = next_prompt_after_checkin(pair, anchor=anchor, hours=hours)
    # A new rhythm never reaches into the past: the next prompt is in the future.
    pair.next_prompt_at = (
        next_prompt if next_prompt > now else first_prompt_from(pair, now=now, hours=hours)
    )


def pair_today(pair: Pair, *, now: datetime) -> date:
    """Today in the pair's zone, the mentee's: the zone its nudges and its pause follow."""
    return now.astimezone(zone(pair.mentee.tz)).date()


def pause(pair: Pair, *, until: date, now: datetime) -> None:
    """`until` must be read from `pair_today` too (`for N weeks`): a day counted in another
    zone could refuse the longest pause or allow a longer one."""
    _require_running(pair, verb="pause")
    today = pair_today(pair, now=now)
    if until <= today:
        raise UserError(
            f"Pick a date after today ({today.isoformat()}) to pause until.",
            example="/mentor pause @Dr. Patel until 2027-01-15",
        )
    if until - today > MAX_PAUSE:
        raise UserError(
            "A pause can last up to 26 weeks; end the pair instead if it is over.",
            example="/mentor pause @Dr. Patel for 4 weeks",
        )
    pair.state = PairState.PAUSED
    pair.paused_until = until
    pair.paused_reason = None


def resume(pair: Pair, *, hours: WorkingHours, now: datetime) -> None:
    if pair.state is not PairState.PAUSED:
        raise UserError(
            "This pair is not paused, so there is nothing to resume.", example="/mentor list"
        )
    pair.state = PairState.ACTIVE
    pair.paused_until = None
    pair.paused_reason = None
    pair.unanswered_prompts = 0
    due = pair.next_prompt_at
    if due is None or due <= now:
        pair.next_prompt_at = first_prompt_from(pair, now=now, hours=hours)


def end(pair: Pair, *, actor: Person, now: datetime) -> None:
    if pair.state not in LIVE_STATES:
        raise UserError("This pair has already ended.", example="/mentor list")
    pair.state = PairState.ENDED
    pair.ended_at = now
    pair.ended_by_id = actor.id
    pair.next_prompt_at = None
