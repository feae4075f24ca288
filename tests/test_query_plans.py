"""The worker's passes with nothing due read through indexes, so their cost stays flat as
pairs and history grow (the benchmark measures it; this keeps a new query from scanning).

SQLite only: it plans by the indexes that exist, while PostgreSQL rightly scans the tiny
tables a test has. Both ways SQLite plans: with no statistics, as a school's database file
runs, and after ANALYZE, as the benchmark measures."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from bench.seed import seed_history, seed_pairs
from bot.service import Database
from jobs.dispatcher import Dispatcher
from jobs.tick import tick

NOW = datetime(2027, 3, 9, 18, 0, tzinfo=UTC)  # a Tuesday, inside everyone's working hours
# Tables that grow with the program; a full pass over one is what makes an idle pass slow.
GROWING = {
    "pairs",
    "deliveries",
    "people",
    "goals",
    "checkins",
    "checkin_posts",
    "processed_events",
    "mentor_offers",
}
# A full pass, or a range over every row of one state or status: few values, many rows.
_SCAN = re.compile(
    r"^(?:SCAN (?P<scanned>\w+)"
    r"|SEARCH (?P<searched>\w+) USING (?:COVERING )?INDEX \w+ \((?:state|status)=\?\))"
)


@pytest.fixture
def program(database: Database) -> None:
    """2,000 active pairs, none due, and a sent prompt each: a program that has run a while."""
    if database.engine.dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite")
    seed_pairs(database.engine, count=2_000, now=NOW)
    seed_history(database.engine, now=NOW)


def _statements_of_an_idle_tick(database: Database, dispatcher: Dispatcher) -> list[tuple]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            seen.append((statement, params))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        tick(database.sessions, dispatcher, now=NOW)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize("statistics", [False, True], ids=["no statistics", "analyzed"])
def test_an_idle_worker_pass_scans_no_table_that_grows(
    database: Database, dispatcher: Dispatcher, program: None, statistics: bool
) -> None:
    if statistics:
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    statements = _statements_of_an_idle_tick(database, dispatcher)
    assert len(statements) >= 5
    scans = []
    with database.engine.connect() as connection:
        for statement, params in statements:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            for row in plan:
                found = _SCAN.match(row[-1])
                if found and (found["scanned"] or found["searched"]) in GROWING:
                    scans.append((row[-1], " ".join(statement.split())[:160]))
    assert scans == []
