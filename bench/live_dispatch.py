"""`python bench/live_dispatch.py VIRTUAL_START [--plan]`: a worker's live passes, measured.

The clock runs from VIRTUAL_START (a weekday afternoon in every seeded zone) at real speed,
so rate limits are real time while working hours always hold. Prints one JSON line: what was
sent, how long it took, the worker's CPU time and peak memory, and (PostgreSQL) the CPU time
of the database backends serving it.

Self-contained (no `bench` imports; `backend_cpu` is the module next to it) and run by path
with PYTHONPATH set to the code under test, so the same measurement runs against this tree
and against a baseline commit.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import datetime, timedelta
from pathlib import Path

from backend_cpu import BackendCpu
from sqlalchemy import func, select

from bot.service import open_database, settings_or_exit
from bot.store.models import Delivery, DeliveryStatus
from jobs.planner import plan_due
from jobs.runtime import make_dispatcher

TIMEOUT_SECONDS = 900


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def peak_rss_mb() -> float:
    """VmHWM, not getrusage: after fork and exec, ru_maxrss still counts the parent's memory
    at the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("virtual_start", type=datetime.fromisoformat)
    parser.add_argument("--plan", action="store_true", help="run a planner pass first")
    args = parser.parse_args()
    settings = settings_or_exit(require_signing_secret=False)
    database = open_database(settings.database_url, migrate=False)
    backends = BackendCpu(database.engine)

    origin = time.monotonic()

    def clock() -> datetime:
        return args.virtual_start + timedelta(seconds=time.monotonic() - origin)

    dispatcher = make_dispatcher(settings, database.sessions)
    dispatcher.clock = clock
    planned = 0
    if args.plan:
        with database.sessions.begin() as session:
            planned = plan_due(session, now=clock(), hours=dispatcher.hours).planned
    started = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    db_before = backends.seconds()
    totals = {"sent": 0, "skipped": 0, "failed": 0}
    while time.monotonic() - started < TIMEOUT_SECONDS:
        report = dispatcher.run()
        for key in totals:
            totals[key] += getattr(report, key)
        with database.sessions() as session:
            open_rows = session.scalar(
                select(func.count()).where(
                    Delivery.status.in_((DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING)),
                    Delivery.due_at <= clock(),
                )
            )
        if not open_rows:
            break
        time.sleep(0.05)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    print(
        json.dumps(
            {
                **totals,
                "planned": planned,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "db_cpu_seconds": backends.seconds() - db_before,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
