"""A mentor's mentoring record, for promotion dossiers: every mentee past and present, when,
for how long, check-ins completed and thanks received — counts and dates, never text."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.cadence import zone
from bot.domain.errors import UserError
from bot.store import endings as ending_queries
from bot.store import record as record_queries
from bot.store.models import Pair, PairState, Person

RECORDED_STATES = (PairState.ACTIVE, PairState.PAUSED, PairState.ALUMNI, PairState.ENDED)
DAYS_PER_MONTH = 365.25 / 12
CSV_COLUMNS = (
    "mentee",
    "mentee_slack_id",
    "state",
    "started",
    "ended",
    "months",
    "checkins_completed",
    "thanks_received",
)


@dataclass(frozen=True)
class PairRecord:
    pair_id: int
    mentee: str  # Slack user ID
    mentor: str
    state: PairState
    started: date  # in the reader's zone
    ended: date | None
    months: float
    checkins_completed: int
    thanks_received: int


@dataclass(frozen=True)
class Totals:
    mentees: int
    current: int
    months: float
    checkins_completed: int
    thanks_received: int


def months_between(start: datetime, end: datetime) -> float:
    """Months together, to one decimal: 45 days is 1.5."""
    return round(max(timedelta(0), end - start) / timedelta(days=DAYS_PER_MONTH), 1)


def record_of(pair: Pair, *, checkins_completed: int, reader: Person, now: datetime) -> PairRecord:
    assert pair.activated_at is not None
    reader_zone = zone(reader.tz)
    finished = pair.ended_at if pair.state in (PairState.ALUMNI, PairState.ENDED) else None
    return PairRecord(
        pair_id=pair.id,
        mentee=pair.mentee.slack_user_id,
        mentor=pair.mentor.slack_user_id,
        state=pair.state,
        started=pair.activated_at.astimezone(reader_zone).date(),
        ended=finished.astimezone(reader_zone).date() if finished is not None else None,
        months=months_between(pair.activated_at, finished or now),
        checkins_completed=checkins_completed,
        thanks_received=pair.thanks_sent,
    )


def pair_record(session: Session, pair: Pair, *, reader: Person, now: datetime) -> PairRecord:
    counts = ending_queries.completed_checkins(session, pair_ids=[pair.id])
    return record_of(pair, checkins_completed=counts.get(pair.id, 0), reader=reader, now=now)


def record_at_end(session: Session, pair: Pair) -> PairRecord:
    """The pair's counts as of its end (for the mentor's wrap-up), dates in the mentor's zone."""
    assert pair.activated_at is not None
    return pair_record(session, pair, reader=pair.mentor, now=pair.ended_at or pair.activated_at)


def mentoring_record(session: Session, *, mentor: Person, now: datetime) -> list[PairRecord]:
    """Every mentee this person has mentored, oldest first. Refuses someone who has none."""
    mentored = record_queries.mentor_pairs(session, mentor, states=RECORDED_STATES)
    if not mentored:
        raise UserError(
            "You have no mentees in Rounds yet, so there is no mentoring record to show. "
            "Students can find you once you join the directory with `/mentor offer <topics>`.",
            example="/mentor offer surgery research Match advice",
        )
    counts = ending_queries.completed_checkins(session, pair_ids=[pair.id for pair in mentored])
    return [
        record_of(pair, checkins_completed=counts.get(pair.id, 0), reader=mentor, now=now)
        for pair in mentored
    ]


def totals(records: Sequence[PairRecord]) -> Totals:
    return Totals(
        mentees=len({record.mentee for record in records}),
        current=sum(record.ended is None for record in records),
        months=round(sum(record.months for record in records), 1),
        checkins_completed=sum(record.checkins_completed for record in records),
        thanks_received=sum(record.thanks_received for record in records),
    )


def _cell(value: str) -> str:
    # A name starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def record_csv(records: Sequence[PairRecord], *, names: Mapping[str, str]) -> str:
    """The record as CSV; `names` are display names fetched for this file, never stored."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow(
            [
                _cell(names.get(record.mentee, record.mentee)),
                record.mentee,
                record.state.value,
                record.started.isoformat(),
                record.ended.isoformat() if record.ended else "",
                f"{record.months:.1f}",
                record.checkins_completed,
                record.thanks_received,
            ]
        )
    return out.getvalue()
