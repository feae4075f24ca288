"""Real Rounds processes for tests: started with an environment, watched through their logs,
stopped with real signals."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_environment(*, sources: bool = True, **variables: str) -> dict[str, str]:
    """The machine's basics and `variables`; with `sources`, Rounds imported from this tree."""
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    base = {key: value for key, value in os.environ.items() if key in keep}
    return base | ({"PYTHONPATH": str(REPO)} if sources else {}) | variables


class RoundsProcess:
    """`argv` run in `cwd` with `env`; stderr (the log) is collected line by line."""

    def __init__(self, argv: list[str], *, env: dict[str, str], cwd: Path) -> None:
        self.argv = argv
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stop_seconds: float | None = None
        threading.Thread(target=self._collect, daemon=True).start()

    @classmethod
    def python(cls, *args: str, env: dict[str, str], cwd: Path) -> RoundsProcess:
        return cls([sys.executable, *args], env=env, cwd=cwd)

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    @property
    def log(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_for_log(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        regex = re.compile(pattern)

        def found() -> re.Match[str] | None:
            return next((m for line in self.lines if (m := regex.search(line))), None)

        with self._cond:
            if not self._cond.wait_for(
                lambda: found() is not None or self.process.poll() is not None, timeout
            ):
                raise AssertionError(f"{pattern!r} not logged in {timeout} s:\n{self.log}")
            match = found()
        if match is None:
            raise AssertionError(f"exited {self.process.returncode} first:\n{self.log}")
        return match

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit status. Waiting longer than the 10 s contract keeps a slow,
        shared machine from failing the test; the measured time is printed for the report."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"still running {timeout} s after SIGTERM:\n{self.log}") from None
        self.stop_seconds = time.monotonic() - started
        print(f"{' '.join(self.argv[-2:])}: stopped {self.stop_seconds:.2f} s after SIGTERM")
        return status

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
