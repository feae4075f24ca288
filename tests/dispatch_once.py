"""`python -m tests.dispatch_once <ISO instant>`: one dispatcher pass in its own process.

Used by the tests that run several dispatchers at once, or kill one mid-send.
"""

from __future__ import annotations

import sys

from bot.service import open_database, settings_or_exit
from jobs.__main__ import parse_instant
from jobs.runtime import make_dispatcher


def main() -> None:
    settings = settings_or_exit(require_signing_secret=False)
    database = open_database(settings.database_url, migrate=False)
    report = make_dispatcher(settings, database.sessions).run(now=parse_instant(sys.argv[1]))
    print(f"sent {report.sent} skipped {report.skipped} retrying {report.retrying}")


if __name__ == "__main__":
    main()
