"""Answers given within Slack's request take turns in arrival order (bot/listeners/turns.py),
so under load no request loses the race for the GIL again and again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from bot.listeners.turns import Turns


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _queue_up(turns: Turns, names: list[str], served: list[str]) -> list[threading.Thread]:
    """Start one thread per name, each only once the one before it is waiting."""

    def take_turn(name: str) -> None:
        with turns:
            served.append(name)

    threads = []
    for position, name in enumerate(names, start=1):
        thread = threading.Thread(target=take_turn, args=(name,))
        thread.start()
        _wait_until(lambda position=position: turns.waiting == position)
        threads.append(thread)
    return threads


@pytest.mark.parametrize("waiters", [1, 3, 12])
def test_whoever_waited_longest_goes_next(waiters: int) -> None:
    turns, served = Turns(), []
    names = [f"request {n}" for n in range(waiters)]
    with turns:
        threads = _queue_up(turns, names, served)
        assert served == []  # nobody runs while a turn is taken
    for thread in threads:
        thread.join(timeout=5)
    assert served == names
    assert turns.waiting == 0


def test_a_turn_that_fails_is_handed_on() -> None:
    turns, served = Turns(), []
    threads: list[threading.Thread] = []

    def failing_answer() -> None:
        with turns:
            threads.extend(_queue_up(turns, ["next"], served))
            raise RuntimeError("the answer failed")

    with pytest.raises(RuntimeError):
        failing_answer()
    for thread in threads:
        thread.join(timeout=5)
    assert served == ["next"]
    with turns:  # and it is free again afterwards
        served.append("later")
    assert served == ["next", "later"]


def test_nobody_arriving_later_slips_in_between_a_handover() -> None:
    turns, served = Turns(), []
    with turns:
        threads = _queue_up(turns, ["waited"], served)
    # The turn went straight to the waiter: a newcomer queues behind it, however fast.
    with turns:
        served.append("newcomer")
    for thread in threads:
        thread.join(timeout=5)
    assert served == ["waited", "newcomer"]


def test_two_at_once_where_the_read_waits_on_a_database_server() -> None:
    turns, served = Turns(at_once=2), []
    may_finish = {name: threading.Event() for name in ("other", "first", "second")}

    def answer(name: str) -> None:
        with turns:
            served.append(name)
            may_finish[name].wait(timeout=5)

    def start(name: str) -> threading.Thread:
        thread = threading.Thread(target=answer, args=(name,))
        thread.start()
        return thread

    with turns:
        threads = [start("other")]
        _wait_until(lambda: served == ["other"])  # the second slot, taken at once
        for waiting, name in enumerate(("first", "second"), start=1):
            threads.append(start(name))
            _wait_until(lambda waiting=waiting: turns.waiting == waiting)
        may_finish["other"].set()  # its slot goes to whoever waited longest
        _wait_until(lambda: served == ["other", "first"])
        assert turns.waiting == 1  # the second still waits: both slots are taken
    _wait_until(lambda: served == ["other", "first", "second"])
    for event in may_finish.values():
        event.set()
    for thread in threads:
        thread.join(timeout=5)


def test_handing_on_early_is_done_once() -> None:
    """A request that must ask Slack first hands its turn on before it waits; leaving the
    `with` afterwards changes nothing."""
    turns, served = Turns(), []
    with turns:
        assert turns.held_here()
        threads = _queue_up(turns, ["next"], served)
        turns.hand_on()
        for thread in threads:
            thread.join(timeout=5)
        assert served == ["next"] and not turns.held_here()
    with turns:  # free again, not handed on twice
        served.append("later")
    assert served == ["next", "later"] and turns.waiting == 0
