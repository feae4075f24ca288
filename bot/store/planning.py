"""Set-based statements for the planner: a batch of due pairs is read, counted and advanced
with a handful of statements, whatever its size (a cohort's launch, or a day of downtime)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bot.store.id_lists import among
from bot.store.installations import pair_is_installed
from bot.store.models import (
    CadenceUnit,
    CheckIn,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Pair,
    PairState,
    Person,
)
from bot.store.outbox import rows_for
from bot.store.upsert import insert_many_ignoring_duplicates

_PAIRS = cast(Table, Pair.__table__)
_PEOPLE = cast(Table, Person.__table__)


@dataclass(slots=True)
class DueMember:
    id: int
    tz: str | None
    work_start: time | None  # their own working hours (`/mentor hours`), if they set them
    work_end: time | None


@dataclass(slots=True)
class DuePair:
    """A due pair as the planner reads it: plain values, no ORM object (loading thousands of
    those costs several times what planning them does)."""

    id: int
    workspace_id: int
    mentee: DueMember
    mentor: DueMember
    cadence_unit: CadenceUnit
    cadence_interval: int
    cadence_weekday: int
    cadence_time: time
    next_prompt_at: datetime | None
    unanswered_prompts: int
    going_cold: bool
    checkin_channel_id: str | None


def due_pairs(session: Session, *, now: datetime, limit: int) -> list[DuePair]:
    """Active pairs whose next prompt time has come, with both members' zones, in one
    statement through the (state, next_prompt_at) index. Rows another planner has locked
    are skipped (PostgreSQL)."""
    mentee = _PEOPLE.alias("mentee")
    mentor = _PEOPLE.alias("mentor")
    rows = session.execute(
        select(
            _PAIRS.c.id,
            _PAIRS.c.workspace_id,
            _PAIRS.c.mentee_id,
            mentee.c.tz,
            mentee.c.work_start,
            mentee.c.work_end,
            _PAIRS.c.mentor_id,
            mentor.c.tz,
            mentor.c.work_start,
            mentor.c.work_end,
            _PAIRS.c.cadence_unit,
            _PAIRS.c.cadence_interval,
            _PAIRS.c.cadence_weekday,
            _PAIRS.c.cadence_time,
            _PAIRS.c.next_prompt_at,
            _PAIRS.c.unanswered_prompts,
            _PAIRS.c.going_cold,
            _PAIRS.c.checkin_channel_id,
        )
        .join(mentee, mentee.c.id == _PAIRS.c.mentee_id)
        .join(mentor, mentor.c.id == _PAIRS.c.mentor_id)
        .where(
            _PAIRS.c.state == PairState.ACTIVE,
            _PAIRS.c.next_prompt_at <= now,
            pair_is_installed(),
        )
        .order_by(_PAIRS.c.next_prompt_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=_PAIRS)
    )
    return [
        DuePair(
            id=row[0],
            workspace_id=row[1],
            mentee=DueMember(row[2], row[3], row[4], row[5]),
            mentor=DueMember(row[6], row[7], row[8], row[9]),
            cadence_unit=CadenceUnit(row[10]),
            cadence_interval=row[11],
            cadence_weekday=row[12],
            cadence_time=row[13],
            next_prompt_at=row[14],
            unanswered_prompts=row[15],
            going_cold=bool(row[16]),
            checkin_channel_id=row[17],
        )
        for row in rows
    ]


def latest_sent_prompts(session: Session, pair_ids: Collection[int]) -> dict[int, datetime]:
    """When each pair's latest prompt went out, for pairs that had one (through the
    (pair, kind, period) unique index)."""
    if not pair_ids:
        return {}
    return {
        pair_id: finished_at
        for pair_id, finished_at in session.execute(
            select(Delivery.pair_id, func.max(Delivery.finished_at))
            .where(
                among(session, Delivery.pair_id, pair_ids),
                Delivery.kind == DeliveryKind.PROMPT,
                Delivery.status == DeliveryStatus.SENT,
            )
            .group_by(Delivery.pair_id)
        )
        if pair_id is not None and finished_at is not None
    }


def answered_since(session: Session, since: Mapping[int, datetime]) -> set[int]:
    """The pairs in which either member checked in, replied or said "we met" at or after
    the pair's instant in `since`."""
    if not since:
        return set()
    latest = session.execute(
        select(
            CheckIn.pair_id,
            func.max(CheckIn.mentee_checked_in_at),
            func.max(CheckIn.mentor_responded_at),
            func.max(CheckIn.completed_at),
        )
        .where(among(session, CheckIn.pair_id, since))
        .group_by(CheckIn.pair_id)
    )
    return {
        pair_id
        for pair_id, *moments in latest
        if any(moment is not None and moment >= since[pair_id] for moment in moments)
    }


def add_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """New outbox rows, one statement; the (pair, kind, period) key makes a row planned
    before a no-op. How many were added."""
    return insert_many_ignoring_duplicates(session, Delivery, rows_for(rows))


_ADVANCE = (
    update(_PAIRS)
    .where(_PAIRS.c.id == bindparam("b_id"))
    .values(
        next_prompt_at=bindparam("b_next"),
        unanswered_prompts=bindparam("b_unanswered"),
        going_cold=bindparam("b_cold"),
    )
)
_ADVANCED = ("id", "next_prompt_at", "unanswered_prompts", "going_cold")


def advance_pairs(session: Session, schedules: Sequence[dict[str, Any]]) -> None:
    """Move each pair to its next period: `id`, `next_prompt_at`, `unanswered_prompts` and
    `going_cold` per row, in one statement. PostgreSQL joins the rows in as one array per
    column (UPDATE … FROM unnest(…)); SQLite runs one prepared UPDATE for every row."""
    if not schedules:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            _ADVANCE,
            [
                {
                    "b_id": row["id"],
                    "b_next": row["next_prompt_at"],
                    "b_unanswered": row["unanswered_prompts"],
                    "b_cold": row["going_cold"],
                }
                for row in schedules
            ],
        )
        return
    arrays = [
        sql_cast(
            bindparam(f"rows_{name}", [row[name] for row in schedules]),
            postgresql.ARRAY(_PAIRS.c[name].type),
        )
        for name in _ADVANCED
    ]
    rows = func.unnest(*arrays).table_valued(*_ADVANCED).render_derived().alias("advanced")
    session.execute(
        update(_PAIRS)
        # The ID array makes PostgreSQL read the batch's pairs through the primary key;
        # joined on IDs alone, it would rather hash the whole table.
        .where(among(session, _PAIRS.c.id, [row["id"] for row in schedules]))
        .where(_PAIRS.c.id == rows.c.id)
        .values(
            next_prompt_at=rows.c.next_prompt_at,
            unanswered_prompts=rows.c.unanswered_prompts,
            going_cold=rows.c.going_cold,
        )
    )
