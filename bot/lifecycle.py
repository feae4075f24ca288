"""SIGTERM (and Ctrl-C) stop every Rounds process cleanly, with exit status 0, within 10 s.

A platform sends SIGTERM, waits (10 s on most), then kills. Rounds spends at most
STOP_BUDGET_SECONDS of that. The stop steps run side by side, each within the budget: the
dispatcher claims nothing more and the scheduler closes once the posts in flight are done;
the HTTP server stops accepting and answers the requests it has; Socket Mode disconnects;
listeners that already answered Slack finish their work. Whatever still runs at the deadline
is safe to leave: a claimed delivery stays leased and is taken over after its lease by a
process that first looks for its earlier post, and a transaction not committed is rolled
back by the database. The process then exits 0 without waiting further.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import NoReturn

log = logging.getLogger("rounds.lifecycle")

STOP_WITHIN_SECONDS = 10.0
# What Rounds allows itself; the rest is for the interpreter to exit.
STOP_BUDGET_SECONDS = 8.0


@dataclass(frozen=True)
class _Step:
    name: str
    run: Callable[[float], object]  # given the seconds left


class Lifecycle:
    def __init__(self, *, budget: float = STOP_BUDGET_SECONDS) -> None:
        self.budget = budget
        self.stop_requested = threading.Event()
        self._steps: list[_Step] = []
        self._signal_name: str | None = None

    def install_signal_handlers(self) -> Lifecycle:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        return self

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # No logging here: a signal that lands while the main thread is writing a log line
        # would make the handler's write re-enter the stream and raise. stop() says it.
        if not self.stop_requested.is_set():
            self._signal_name = signal.Signals(signum).name
            self.stop_requested.set()

    def on_stop(self, name: str, step: Callable[[float], object]) -> None:
        """Steps run in the order they were added."""
        self._steps.append(_Step(name, step))

    def wait(self) -> None:
        # A bounded wait keeps the main thread where Python can run signal handlers.
        while not self.stop_requested.wait(1.0):
            pass

    def stop(self) -> NoReturn:
        """Run the stop steps side by side within the budget, then exit 0."""
        self.stop_requested.set()
        if self._signal_name is not None:
            log.info("received %s; stopping", self._signal_name)
        started = time.monotonic()
        deadline = started + self.budget
        runners = [
            threading.Thread(
                target=_run_step, args=(step, deadline), name=f"stop {step.name}", daemon=True
            )
            for step in self._steps
        ]
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join(max(0.0, deadline - time.monotonic()))
        unfinished = [runner.name for runner in runners if runner.is_alive()]
        elapsed = time.monotonic() - started
        if unfinished:
            log.warning(
                "stopped in %.1f s; still running, safe to abandon: %s",
                elapsed,
                ", ".join(unfinished),
            )
        else:
            log.info("stopped in %.1f s", elapsed)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        # A normal exit would wait for every worker thread (idle pool threads included),
        # without limit; everything that matters has finished or is safe to leave.
        os._exit(0)


def _run_step(step: _Step, deadline: float) -> None:
    try:
        step.run(max(0.0, deadline - time.monotonic()))
    except Exception:
        log.exception("stopping %s failed", step.name)


class Deadline:
    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._at - time.monotonic())


def bounded(work: Callable[[], object], seconds: float) -> bool:
    """Run `work` in a daemon thread; True if it finished within `seconds`."""
    runner = threading.Thread(target=work, name="bounded stop", daemon=True)
    runner.start()
    runner.join(max(0.0, seconds))
    return not runner.is_alive()
