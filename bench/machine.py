"""How fast this machine is right now, so runs on different machines (or on one shared
machine at different moments) can be compared: a fixed pure-Python loop, timed first."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

LOOP_ITERATIONS = 2_000_000


def _reference_loop() -> int:
    """A fixed mix of what the app's CPU goes to: arithmetic, dict and string work."""
    total = 0
    seen: dict[int, str] = {}
    for index in range(LOOP_ITERATIONS):
        total += index * 7 % 13
        if index % 64 == 0:
            seen[index % 1024] = str(index)
    return total + len(seen)


@dataclass(frozen=True)
class MachineSpeed:
    loop_ms: float  # CPU time of the reference loop, best of five
    loop_wall_ms: float  # its wall time, best of five: more than loop_ms when cores are busy
    load_average: float  # 1-minute load average when measured
    cores: int

    def loops(self, milliseconds: float) -> float:
        """A duration in reference loops: the same work reads about the same on any machine."""
        return milliseconds / self.loop_ms if self.loop_ms else float("nan")


def measure_machine() -> MachineSpeed:
    cpu, wall = [], []
    for _ in range(5):
        started, started_wall = time.process_time(), time.perf_counter()
        _reference_loop()
        cpu.append((time.process_time() - started) * 1000)
        wall.append((time.perf_counter() - started_wall) * 1000)
    return MachineSpeed(
        loop_ms=min(cpu),
        loop_wall_ms=min(wall),
        load_average=os.getloadavg()[0],
        cores=os.cpu_count() or 0,
    )
