"""Logging for every Rounds process: LOG_LEVEL, LOG_FORMAT=json, and third parties kept quiet.

- APScheduler logs two INFO lines per job run (about 34,000 a day with a 5-second
  dispatcher); they are kept to warnings unless LOG_LEVEL=DEBUG.
- slack_bolt and slack_sdk log request and message bodies at DEBUG, and those carry what
  people typed; they never go below INFO, whatever LOG_LEVEL says.
- Bolt logs the whole body of a request whose signature fails (a real one delayed past five
  minutes, say); the body is withheld.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from types import TracebackType
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from bot.config import ConfigError, LogSettings, load_environment_file, log_settings_from

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers whose DEBUG output carries message text; Bolt's own framework logger is ours.
NEVER_BELOW_INFO = ("slack_bolt", "slack_sdk", "rounds.bolt")
PER_RUN_CHATTER = ("apscheduler.executors",)
_REFUSED_SIGNATURE_LOGGER = "slack_bolt.RequestVerification"


class WithholdRequestBodies(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _REFUSED_SIGNATURE_LOGGER:
            record.msg, record.args = "Refused a request whose Slack signature is invalid", ()
        return True


def formatter(settings: LogSettings) -> logging.Formatter:
    if settings.json:
        return JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    return logging.Formatter(TEXT_FORMAT)


def apply(settings: LogSettings, *, stream: TextIO | None = None) -> None:
    """One handler on the root logger, to stderr; everything else propagates to it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(settings))
    handler.addFilter(WithholdRequestBodies())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
    for name in NEVER_BELOW_INFO:
        logging.getLogger(name).setLevel(max(settings.level, logging.INFO))
    for name in PER_RUN_CHATTER:
        quiet = logging.DEBUG if settings.level <= logging.DEBUG else logging.WARNING
        logging.getLogger(name).setLevel(max(settings.level, quiet))
    logging.captureWarnings(True)
    _log_uncaught_exceptions()


def _log_uncaught_exceptions() -> None:
    """A traceback printed raw would be many lines that are not JSON."""

    def main_thread(
        kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        logging.getLogger("rounds").critical("uncaught exception", exc_info=(kind, error, trace))

    def other_thread(args: Any) -> None:
        if args.exc_type is SystemExit:
            return
        logging.getLogger("rounds").error(
            "uncaught exception in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = main_thread
    threading.excepthook = other_thread


_configured: LogSettings | None = None


def configure_logging() -> LogSettings:
    """Read `.env` and LOG_LEVEL / LOG_FORMAT, and set logging up; exit 2 on a bad value."""
    global _configured
    load_environment_file()
    try:
        settings = log_settings_from(os.environ)
    except ConfigError as problem:
        print(str(problem), file=sys.stderr)
        raise SystemExit(2) from None
    apply(settings)
    _configured = settings
    return settings


def report_config_error(problem: ConfigError) -> None:
    """A setting Rounds cannot start with: one paragraph, as a JSON line when logs are JSON."""
    if _configured is not None and _configured.json:
        logging.getLogger("rounds").error(str(problem))
    else:
        print(str(problem), file=sys.stderr)
