"""`python -m jobs` (or `rounds-worker`) runs the worker; `tick --at T` runs one pass;
`preview` shows what is coming. The worker stops within 10 s of SIGTERM, exit status 0."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime

from bot import process
from bot.config import database_url_from_environment
from bot.lifecycle import Lifecycle
from bot.service import configure_logging, open_database, settings_or_exit
from jobs.preview import print_preview
from jobs.runtime import make_dispatcher
from jobs.tick import tick

log = logging.getLogger("rounds.jobs")


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant with a zone (2027-01-05T14:00:00Z); naive times are ambiguous."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time; use e.g. 2027-01-05T14:00:00Z"
        ) from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no time zone; add Z for UTC or an offset like +01:00"
        )
    return instant.astimezone(UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jobs", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    tick_parser = commands.add_parser("tick", help="run one planner + dispatcher pass and exit")
    tick_parser.add_argument(
        "--at", type=parse_instant, default=None, help="the instant to run as (default: now)"
    )
    preview_parser = commands.add_parser("preview", help="print the coming nudges; send nothing")
    preview_parser.add_argument("--weeks", type=int, default=12, help="how far ahead (default 12)")
    return parser


def run_worker() -> None:
    lifecycle = Lifecycle().install_signal_handlers()
    process.run_worker(settings_or_exit(require_signing_secret=False), lifecycle)


def run_tick(at: datetime | None) -> None:
    settings = settings_or_exit(require_signing_secret=False)
    database = open_database(settings.database_url)
    started_at, started = at or datetime.now(UTC), time.perf_counter()
    report = tick(database.sessions, make_dispatcher(settings, database.sessions), now=at)
    print(
        f"tick at {started_at.isoformat()}: planned {report.plan.planned}, "
        f"resumed {report.plan.resumed}, sent {report.dispatch.sent}, "
        f"skipped {report.dispatch.skipped}, retrying {report.dispatch.retrying}, "
        f"failed {report.dispatch.failed} in {time.perf_counter() - started:.2f} s"
    )


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    args = _parser().parse_args(argv)
    if args.command == "tick":
        run_tick(args.at)
    elif args.command == "preview":
        database = open_database(database_url_from_environment())
        print_preview(database.sessions, weeks=args.weeks, now=datetime.now(UTC), out=sys.stdout)
    else:
        run_worker()


if __name__ == "__main__":
    main()
