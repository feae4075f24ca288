"""`python -m bench.live_dispatch VIRTUAL_START [--plan]`: a worker's live passes, measured.

The clock runs from VIRTUAL_START (a weekday afternoon in every seeded zone) at real speed,
so rate limits are real time while working hours always hold. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bench.servers import peak_rss_mb
from bot.service import open_database, settings_or_exit
from bot.store.models import Delivery, DeliveryStatus
from jobs.planner import plan_due
from jobs.runtime import make_dispatcher

TIMEOUT_SECONDS = 900


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("virtual_start", type=datetime.fromisoformat)
    parser.add_argument("--plan", action="store_true", help="run a planner pass first")
    args = parser.parse_args()
    settings = settings_or_exit(require_signing_secret=False)
    database = open_database(settings.database_url, migrate=False)
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
    print(
        json.dumps(
            {
                **totals,
                "planned": planned,
                "seconds": time.monotonic() - started,
                # VmHWM, not getrusage: after fork and exec, ru_maxrss still counts the
                # parent's memory at the fork.
                "peak_rss_mb": peak_rss_mb(os.getpid()),
            }
        )
    )


if __name__ == "__main__":
    main()
