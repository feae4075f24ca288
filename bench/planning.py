"""Cost of one planner pass as the number of pairs grows, with nothing due and with 10% due."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update

from bench.seed import seed_pairs
from bot.domain.cadence import WorkingHours
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Delivery, Pair
from jobs.planner import plan_due


@dataclass(frozen=True)
class PlanningRow:
    pairs: int
    nothing_due_ms: float
    ten_percent_due_ms: float
    planned: int


def _pass_ms(sessions, now: datetime) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with sessions.begin() as session:
        report = plan_due(session, now=now, hours=WorkingHours())
    return (time.perf_counter() - started) * 1000, report.planned


def measure_planning(
    *, database_url: str, sizes: tuple[int, ...], now: datetime
) -> list[PlanningRow]:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    rows = []
    seeded = 0
    for size in sizes:
        seed_pairs(engine, count=size - seeded, start=seeded, now=now)
        seeded = size
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        idle = statistics.median(_pass_ms(sessions, now)[0] for _ in range(7))
        # Make every tenth pair due, plan once, then put things back for the next size.
        with engine.begin() as connection:
            connection.execute(
                update(Pair)
                .where(Pair.id % 10 == 0)
                .values(next_prompt_at=now - timedelta(minutes=1))
            )
        busy, planned = _pass_ms(sessions, now)
        with engine.begin() as connection:
            connection.execute(delete(Delivery))
            connection.execute(
                update(Pair).values(next_prompt_at=now + timedelta(days=3), unanswered_prompts=0)
            )
        rows.append(
            PlanningRow(pairs=size, nothing_due_ms=idle, ten_percent_due_ms=busy, planned=planned)
        )
    engine.dispose()
    return rows
