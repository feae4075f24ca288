"""Processes the benchmarks run and measure: gunicorn web servers and a live dispatcher."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.trees import CURRENT, REPO, Tree

SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
WEB_WORKERS, WEB_THREADS = 2, 8


def environment(*, database_url: str, api_url: str, tree: Tree = CURRENT) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(tree.path),
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "ROUNDS_SCHEDULER": "off",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The high-water mark of a live process's resident memory (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_pids(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@contextmanager
def gunicorn(
    app: str, env: dict[str, str], *, workers: int = WEB_WORKERS, cwd: Path = REPO
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(WEB_THREADS),
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(url, process)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_listening(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # listening (the bare app has no /healthz)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start listening within 60 s")
