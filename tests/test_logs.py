"""Logging: LOG_LEVEL and LOG_FORMAT=json, with third parties kept in their place."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from bot.config import LogSettings
from bot.logs import apply

WATCHED = ("", "slack_bolt", "slack_sdk", "rounds.bolt", "apscheduler.executors")


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Logging as Rounds sets it up, writing to a string; pytest's own set-up put back after."""
    root = logging.getLogger()
    saved = (list(root.handlers), {name: logging.getLogger(name).level for name in WATCHED})
    hooks = (sys.excepthook, threading.excepthook)
    yield io.StringIO()
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


def test_slack_libraries_never_log_below_info(stream: io.StringIO) -> None:
    apply(LogSettings(level=logging.DEBUG, json=False), stream=stream)
    logging.getLogger("slack_sdk.web.base_client").debug("Sending a request - body: secret text")
    logging.getLogger("slack_bolt.App").debug("payload with secret text")
    logging.getLogger("rounds.bolt").debug("payload with secret text")
    logging.getLogger("rounds.dispatcher").debug("our own debug line")
    assert "secret text" not in stream.getvalue()
    assert "our own debug line" in stream.getvalue()


def test_apscheduler_per_run_lines_are_quiet_unless_debugging(stream: io.StringIO) -> None:
    apply(LogSettings(level=logging.INFO, json=False), stream=stream)
    executor = logging.getLogger("apscheduler.executors.default")
    executor.info('Running job "dispatcher"')
    executor.warning("Run time of job was missed")
    assert "Running job" not in stream.getvalue()
    assert "was missed" in stream.getvalue()
    apply(LogSettings(level=logging.DEBUG, json=False), stream=stream)
    executor.info('Running job "dispatcher"')
    assert "Running job" in stream.getvalue()


def test_a_refused_signature_is_logged_without_the_body(stream: io.StringIO) -> None:
    apply(LogSettings(level=logging.INFO, json=False), stream=stream)
    logging.getLogger("slack_bolt.RequestVerification").info(
        "Invalid request signature detected (signature: v0=1, timestamp: 1, body: text=my+patient)"
    )
    assert "my+patient" not in stream.getvalue()
    assert "signature is invalid" in stream.getvalue()


def test_json_logs_are_one_object_per_line_even_with_a_traceback(stream: io.StringIO) -> None:
    apply(LogSettings(level=logging.INFO, json=True), stream=stream)
    log = logging.getLogger("rounds.test")
    log.info("plain %s", "line")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("it failed")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["message"] for r in records] == ["plain line", "it failed"]
    assert records[0]["level"] == "INFO" and records[0]["logger"] == "rounds.test"
    assert "timestamp" in records[0]
    assert "ValueError: boom" in records[1]["exc_info"]
