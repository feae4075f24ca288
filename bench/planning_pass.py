"""`python bench/planning_pass.py URL NOW`: the passes a worker runs, timed against one database:
the planner and the dispatcher with nothing due (median of seven), then a planner pass
with a tenth of the pairs due (median of three). Prints one JSON line.

Self-contained (no `bench` imports; `backend_cpu` is the module next to it) and run by path
with PYTHONPATH set to the code under test, so the same measurement runs against this tree
and against a baseline commit.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import datetime, timedelta

from backend_cpu import BackendCpu
from sqlalchemy import Engine, text

from bot.domain.cadence import WorkingHours
from bot.service import open_database, settings_or_exit
from jobs.planner import plan_due
from jobs.runtime import make_dispatcher

# The pass with a tenth of the pairs due is timed this many times (the median is reported):
# one pass is a second or so, and a shared machine's slow moments last about as long.
BUSY_PASSES = 3


def tidy(engine: Engine) -> None:
    """What autovacuum would have done by the next launch: each pass starts from the same
    state, not from the dead rows of the one before."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE pairs, deliveries")


def main() -> None:
    url, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    settings = settings_or_exit(require_signing_secret=False)
    database = open_database(url, migrate=False)
    backends = BackendCpu(database.engine)

    hours = WorkingHours()
    dispatcher = make_dispatcher(settings, database.sessions)

    def planner_pass() -> dict[str, float]:
        cpu, wall, db = time.process_time(), time.perf_counter(), backends.seconds()
        with database.sessions.begin() as session:
            planned = plan_due(session, now=now, hours=hours).planned
        return {
            "ms": (time.perf_counter() - wall) * 1000,
            "cpu_ms": (time.process_time() - cpu) * 1000,
            "db_cpu_ms": (backends.seconds() - db) * 1000,
            "planned": planned,
        }

    def dispatcher_pass() -> float:
        started = time.perf_counter()
        dispatcher.run(now=now)
        return (time.perf_counter() - started) * 1000

    planner_pass()  # warm up: connections, statement caches
    dispatcher_pass()
    idle_plan = statistics.median(planner_pass()["ms"] for _ in range(7))
    idle_dispatch = statistics.median(dispatcher_pass() for _ in range(7))
    busy_passes = []
    for _ in range(BUSY_PASSES):
        with database.engine.begin() as connection:
            connection.execute(
                text("UPDATE pairs SET next_prompt_at = :due WHERE id % 10 = 0"),
                {"due": now - timedelta(minutes=1)},
            )
        tidy(database.engine)
        busy_passes.append(planner_pass())
        with database.engine.begin() as connection:
            connection.execute(text("DELETE FROM deliveries WHERE status = 'scheduled'"))
            connection.execute(
                text(
                    "UPDATE pairs SET next_prompt_at = :later, unanswered_prompts = 0, "
                    "going_cold = false"
                ),
                {"later": now + timedelta(days=3)},
            )
    busy = sorted(busy_passes, key=lambda one: one["ms"])[len(busy_passes) // 2]
    dispatcher.pool.shutdown()
    database.engine.dispose()
    print(
        json.dumps(
            {
                "idle_plan_ms": idle_plan,
                "idle_dispatch_ms": idle_dispatch,
                "busy_ms": busy["ms"],
                "busy_cpu_ms": busy["cpu_ms"],
                "busy_db_cpu_ms": busy["db_cpu_ms"],
                "planned": busy["planned"],
            }
        )
    )


if __name__ == "__main__":
    main()
