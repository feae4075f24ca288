"""The planner plans a launch's or a downtime's thousands of due prompts set-based: by the
same rules as one pair at a time, with the same handful of statements for ten pairs or a
hundred, and the unique key doing the dedupe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.domain.cadence import WorkingHours
from bot.domain.nudges import plan_prompt
from bot.service import Database
from bot.store.deliveries import pairs_due_for_prompt
from bot.store.models import (
    CadenceUnit,
    CheckIn,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Pair,
)
from jobs.planner import plan_due
from tests.factories import make_pair

HOURS = WorkingHours()
NOW = datetime(2027, 3, 10, 15, 30, tzinfo=UTC)  # a Wednesday afternoon in New York
ZONES = ["America/New_York", "America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", None]
CADENCES = [
    (CadenceUnit.WEEK, 1, 0, time(8, 0)),
    (CadenceUnit.WEEK, 3, 3, time(16, 0)),
    (CadenceUnit.MONTH, 1, 4, time(9, 30)),
    (CadenceUnit.WEEK, 2, 1, time(9, 0)),
]


def _seed(database: Database, count: int) -> list[int]:
    """Pairs all over the world, due now or long ago, with and without answers."""
    made = []
    for n in range(count):
        made.append(
            make_pair(
                database,
                mentee=f"U1PLAN{n:04d}",
                mentor=f"U2PLAN{n:04d}",
                now=NOW - timedelta(days=120),
                mentee_tz=ZONES[n % len(ZONES)] or "America/New_York",
                mentor_tz=ZONES[(n * 3 + 1) % len(ZONES)] or "Europe/Berlin",
                channel=f"GPLAN{n:04d}",
            )
        )
    with database.sessions.begin() as session:
        for n, pair_id in enumerate(made):
            pair = session.get(Pair, pair_id)
            assert pair is not None
            unit, interval, weekday, at = CADENCES[n % len(CADENCES)]
            pair.cadence_unit, pair.cadence_interval = unit, interval
            pair.cadence_weekday, pair.cadence_time = weekday, at
            if n % len(ZONES) == len(ZONES) - 1:
                pair.mentee.tz = None  # never looked up: the default zone serves
            # Due a moment ago, a period ago, or (downtime) many periods ago.
            pair.next_prompt_at = (
                NOW - [timedelta(minutes=1), timedelta(days=9), timedelta(days=80)][n % 3]
            )
            pair.unanswered_prompts = (n // 2) % 2
            if n % 4 != 3:
                # The last prompt went out; some pairs answered it since, some did not.
                sent_at = NOW - timedelta(days=14 + n % 5)
                session.add(
                    Delivery(
                        pair_id=pair_id,
                        kind=DeliveryKind.PROMPT,
                        period=f"before-{n}",
                        status=DeliveryStatus.SENT,
                        due_at=sent_at,
                        finished_at=sent_at,
                        attempts=1,
                        in_doubt=False,
                        created_at=sent_at,
                    )
                )
                if n % 4 == 1:
                    session.add(
                        CheckIn(
                            pair_id=pair_id,
                            opened_at=sent_at,
                            mentor_responded_at=sent_at + timedelta(days=2),
                        )
                    )
    return made


def _outcome(database: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with database.sessions() as session:
        planned = [
            (d.pair_id, d.kind, d.period, d.status, d.due_at, d.channel_id)
            for d in session.execute(
                select(Delivery)
                .where(
                    Delivery.status == DeliveryStatus.SCHEDULED,
                    Delivery.kind == DeliveryKind.PROMPT,
                )
                .order_by(Delivery.pair_id)
            ).scalars()
        ]
        schedules = [
            (p.id, p.next_prompt_at, p.unanswered_prompts, p.going_cold)
            for p in session.execute(select(Pair).order_by(Pair.id)).scalars()
        ]
    return planned, schedules


def test_a_batch_is_planned_by_the_same_rules_as_one_pair_at_a_time(database: Database) -> None:
    made = _seed(database, 40)
    with database.sessions.begin() as session:
        # Planned before (a planner that died before moving the pair on): a no-op again.
        first = session.get(Pair, made[0])
        assert first is not None and first.next_prompt_at is not None
        session.add(
            Delivery(
                pair_id=made[0],
                kind=DeliveryKind.PROMPT,
                period=first.next_prompt_at.astimezone(UTC).date().isoformat(),
                status=DeliveryStatus.SCHEDULED,
                due_at=first.next_prompt_at,
                attempts=0,
                in_doubt=False,
                created_at=NOW - timedelta(days=1),
            )
        )
    # One pair at a time, the way the planner used to: remembered, then undone.
    with database.sessions() as session:
        added_one_by_one = sum(
            plan_prompt(session, pair, hours=HOURS, now=NOW)
            for pair in pairs_due_for_prompt(session, now=NOW, limit=1000)
        )
        session.flush()
        session.commit()
    one_by_one = _outcome(database)
    with database.sessions.begin() as session:
        session.execute(
            Delivery.__table__.delete().where(
                Delivery.status == DeliveryStatus.SCHEDULED, Delivery.created_at == NOW
            )
        )
    _reset_schedules(database, made)
    with database.sessions.begin() as session:
        report = plan_due(session, now=NOW, hours=HOURS)
    assert report.planned == added_one_by_one == len(made) - 1
    assert _outcome(database) == one_by_one
    _, schedules = one_by_one
    assert {cold for *_, cold in schedules} == {False, True}  # the counting was exercised
    assert all(next_at > NOW for _, next_at, *_ in schedules)


def _reset_schedules(database: Database, made: list[int]) -> None:
    """Put every pair back as _seed left it (the first planning moved them on)."""
    with database.sessions.begin() as session:
        for n, pair_id in enumerate(made):
            pair = session.get(Pair, pair_id)
            assert pair is not None
            pair.next_prompt_at = (
                NOW - [timedelta(minutes=1), timedelta(days=9), timedelta(days=80)][n % 3]
            )
            pair.unanswered_prompts = (n // 2) % 2
            pair.going_cold = False


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, *args: Any) -> None:
        statement = args[2].lstrip().upper()
        if statement.startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            self.seen.append(statement)


@pytest.fixture
def statements(database: Database) -> Iterator[Statements]:
    recorded = Statements()
    event.listen(database.engine, "before_cursor_execute", recorded)
    yield recorded
    event.remove(database.engine, "before_cursor_execute", recorded)


def test_ten_or_a_hundred_due_prompts_take_the_same_few_statements(
    database: Database, statements: Statements
) -> None:
    counts = []
    for size in (10, 100):
        made = _seed(database, size) if size == 10 else _more(database, 90)
        del made
        statements.seen.clear()
        with database.sessions.begin() as session:
            report = plan_due(session, now=NOW, hours=HOURS)
        counts.append(len(statements.seen))
        assert report.planned == (10 if size == 10 else 90)
    # Per pair it was four statements each (prompts) or two (kick-offs); now the count of
    # statements a pass takes does not grow with the batch.
    assert counts[1] <= counts[0] <= 16, statements.seen


def _more(database: Database, count: int) -> list[int]:
    made = [
        make_pair(
            database,
            mentee=f"U1MORE{n:04d}",
            mentor=f"U2MORE{n:04d}",
            now=NOW - timedelta(days=30),
            channel=f"GMORE{n:04d}",
        )
        for n in range(count)
    ]
    with database.sessions.begin() as session:
        for pair_id in made:
            pair = session.get(Pair, pair_id)
            assert pair is not None
            pair.next_prompt_at = NOW - timedelta(hours=1)
    return made
