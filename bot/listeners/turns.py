"""Answers given within the HTTP request take turns, in the order they arrived.

An in-request answer is pure Python plus one local read: it never waits on Slack. With
several of them running at once in one process they fight over the GIL, and CPython hands
the GIL to whichever thread the OS wakes, not to the one that waited longest; under load a
few requests lose that race again and again, and their latency is several times the
median. Taking turns first come, first served keeps each answer's latency close to the
queue ahead of it. Threads waiting for their turn sleep, so the answer running has the GIL
to itself (see docs/PERFORMANCE.md for what this did to p99)."""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class Turns:
    """A lock whose waiters get it in arrival order (threading.Lock promises no order)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._taken = False

    def __enter__(self) -> Turns:
        with self._guard:
            if not self._taken:
                self._taken = True
                return self
            my_turn = threading.Event()
            self._waiting.append(my_turn)
        # The holder hands the turn over directly (`_taken` stays True), so nobody arriving
        # later can slip in between.
        my_turn.wait()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._guard:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._taken = False

    @property
    def waiting(self) -> int:
        with self._guard:
            return len(self._waiting)
