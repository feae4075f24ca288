"""`python -m bot` (or `rounds`): one process — Bolt (Socket Mode, or HTTP on $PORT) and the
scheduler. SIGTERM stops it within 10 s with exit status 0 (bot.lifecycle)."""

from __future__ import annotations

import sys

from bot.config import slack_is_configured
from bot.lifecycle import Lifecycle
from bot.process import run_bot
from bot.service import configure_logging, settings_or_exit


def main() -> None:
    # Signals first: a SIGTERM during start-up (migrations) still ends in a clean stop.
    lifecycle = Lifecycle().install_signal_handlers()
    configure_logging()
    if sys.argv[1:] == ["sandbox"] or not slack_is_configured():
        # No Slack at all: the same app against a local stand-in, with a page to drive it.
        from sandbox.run import run_sandbox

        run_sandbox()
        return
    run_bot(settings_or_exit(), lifecycle)


if __name__ == "__main__":
    main()
