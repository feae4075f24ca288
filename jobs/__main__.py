"""`python -m jobs` (or `rounds-worker`) runs the worker; `tick --at T` runs one pass;
`preview` shows what is coming; `import`, `export` and `calendar import` are the program
tools' command-line twins. The worker stops within 10 s of SIGTERM, exit status 0."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot import process
from bot.config import database_url_from_environment
from bot.lifecycle import Lifecycle
from bot.service import configure_logging, open_database, settings_or_exit
from jobs import program, workspaces
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
    import_parser = commands.add_parser("import", help="import a cohort of pairs from a CSV")
    import_parser.add_argument("file", type=Path, help="CSV: mentee,mentor[,cadence][,goal]")
    import_parser.add_argument("--by", required=True, help="the coordinator's Slack user ID")
    import_parser.add_argument(
        "--dry-run", action="store_true", help="check every line; change nothing"
    )
    import_parser.add_argument("--team", default=None, help="workspace (team ID; OAuth mode)")
    export_parser = commands.add_parser("export", help="one CSV row per pair: dates and counts")
    export_parser.add_argument("--out", type=Path, default=None, help="file (default: stdout)")
    export_parser.add_argument("--team", default=None, help="workspace (team ID) to export")
    calendar_parser = commands.add_parser("calendar", help="the academic calendar")
    calendar_commands = calendar_parser.add_subparsers(dest="calendar_command", required=True)
    calendar_import = calendar_commands.add_parser(
        "import", help="add the blackouts of a school's .ics calendar"
    )
    calendar_import.add_argument("file", type=Path, help="an .ics (iCalendar) file")
    calendar_import.add_argument("--team", default=None, help="workspace (team ID)")
    workspace_parser = commands.add_parser("workspace", help="the workspaces Rounds serves")
    workspace_commands = workspace_parser.add_subparsers(dest="workspace_command", required=True)
    workspace_commands.add_parser("list", help="each workspace: installed or when it left")
    delete_parser = workspace_commands.add_parser(
        "delete", help="delete everything about a workspace (T…) or org (E…) now"
    )
    delete_parser.add_argument("team", help="team ID (T…) or Enterprise Grid org ID (E…)")
    tokens_parser = commands.add_parser("tokens", help="the stored Slack tokens")
    tokens_commands = tokens_parser.add_subparsers(dest="tokens_command", required=True)
    tokens_commands.add_parser(
        "rekey", help="re-encrypt every stored token with the first key of ROUNDS_TOKEN_KEY"
    )
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


def run_program_tool(args: argparse.Namespace) -> int:
    try:
        if args.command == "import":
            return program.run_import(
                args.file, by=args.by, dry_run=args.dry_run, out=sys.stdout, team=args.team
            )
        if args.command == "workspace" and args.workspace_command == "list":
            return workspaces.run_list(database_url=database_url_from_environment(), out=sys.stdout)
        if args.command == "workspace":
            return workspaces.run_delete(
                database_url=database_url_from_environment(),
                team_or_enterprise=args.team,
                out=sys.stdout,
            )
        if args.command == "tokens":
            settings = settings_or_exit(require_signing_secret=False)
            return workspaces.run_rekey(settings=settings, out=sys.stdout)
        if args.command == "export":
            return program.run_export(out_path=args.out, team=args.team, out=sys.stdout)
        return program.run_calendar_import(args.file, team=args.team, out=sys.stdout)
    except program.CommandFailedError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return program.FAILED


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    args = _parser().parse_args(argv)
    if args.command in {"import", "export", "calendar", "workspace", "tokens"}:
        raise SystemExit(run_program_tool(args))
    if args.command == "tick":
        run_tick(args.at)
    elif args.command == "preview":
        database = open_database(database_url_from_environment())
        print_preview(
            database.sessions,
            weeks=args.weeks,
            now=datetime.now(UTC),
            out=sys.stdout,
            holidays=os.environ.get("ROUNDS_HOLIDAYS", "").strip().upper() or None,
        )
    else:
        run_worker()


if __name__ == "__main__":
    main()
