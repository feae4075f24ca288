"""The sandbox's clock: the whole process lives at a time that only ever moves forward.

Rounds reads the time wherever it needs it (a request's `now`, the dispatcher's clock, the
fake Slack's message timestamps, Bolt's check of a request's signature age). Moving the time
of the whole process (time-machine patches the clock functions themselves) keeps all of them
in agreement without Rounds knowing it is being rehearsed: a check-in made after a jump is
made "then", and the next prompt is planned from it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import time_machine


class ClockError(ValueError):
    """A jump the clock cannot make; the message says why."""


class SandboxClock:
    def __init__(self) -> None:
        self._travel: time_machine.travel | None = None
        self._traveller: time_machine.Traveller | None = None
        self._lock = threading.Lock()

    def start(self) -> SandboxClock:
        """From now on the process's time keeps running from the real time, until a jump."""
        if self._travel is None:
            self._travel = time_machine.travel(datetime.now(UTC), tick=True)
            self._traveller = self._travel.start()
        return self

    def stop(self) -> None:
        """Back to the real time (tests that run a sandbox in-process must call this)."""
        if self._travel is not None:
            self._travel.stop()
            self._travel = self._traveller = None

    def now(self) -> datetime:
        return datetime.now(UTC)

    def advance_to(self, moment: datetime) -> datetime:
        """Jump forward to `moment` (no-op when it has passed already); returns the new now."""
        if moment.tzinfo is None:
            raise ClockError("The sandbox clock needs a time with a zone.")
        with self._lock:
            if self._traveller is None:
                raise ClockError("The sandbox clock is not running.")
            ahead = moment - self.now()
            if ahead.total_seconds() > 0:
                self._traveller.shift(ahead)
        return self.now()
