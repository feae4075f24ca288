"""Answers given within the HTTP request take turns, in the order they arrived.

An in-request answer is pure Python plus one local read: it never waits on Slack. With
several of them running at once in one process they fight over the GIL, and CPython hands
the GIL to whichever thread the OS wakes, not to the one that waited longest; under load a
few requests lose that race again and again, and their latency is several times the
median. Taking turns first come, first served keeps each answer's latency close to the
queue ahead of it. Threads waiting for their turn sleep, so the answer running has the GIL
to itself (see docs/PERFORMANCE.md for what this did to p99).

The web layer takes the turn as soon as it sees a read-only command (bot.web), so Bolt's
whole dispatch runs inside it; the listener takes it itself when called another way. A
request that turns out to need Slack first hands its turn on before it waits."""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class Turns:
    """A lock whose waiters get it in arrival order (threading.Lock promises no order). The
    thread holding it can hand it on early (`hand_on`); handing on twice is harmless."""

    def __init__(self, at_once: int = 1) -> None:
        self.at_once = at_once
        self._guard = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._holders: set[int] = set()
        self._running = 0

    def take(self) -> None:
        with self._guard:
            if self._running < self.at_once:
                self._running += 1
                self._holders.add(threading.get_ident())
                return
            my_turn = threading.Event()
            self._waiting.append(my_turn)
        # A holder hands its turn over directly (`_running` stays the same), so nobody
        # arriving later can slip in between.
        my_turn.wait()
        with self._guard:
            self._holders.add(threading.get_ident())

    def held_here(self) -> bool:
        return threading.get_ident() in self._holders

    def hand_on(self) -> None:
        """Give the turn to whoever waited longest, if this thread holds one."""
        with self._guard:
            if threading.get_ident() not in self._holders:
                return
            self._holders.discard(threading.get_ident())
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._running -= 1

    def __enter__(self) -> Turns:
        self.take()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.hand_on()

    @property
    def waiting(self) -> int:
        with self._guard:
            return len(self._waiting)


# One per process: in-request answers run one at a time, in arrival order.
IN_REQUEST = Turns()


def answer_at_once(count: int) -> None:
    """How many in-request answers a process runs at once: one where the read is in-process
    (SQLite), two where it waits on a database server, whose work meanwhile is elsewhere."""
    IN_REQUEST.at_once = count
