"""`python -m bench.http_servers`: which HTTP server should `python -m bot` run?

The same Rounds WSGI app (`bot.wsgi:app`) behind each candidate, one process each as
`python -m bot` is (gunicorn also with two workers, as the Procfile runs it): acknowledgement
latency of signed read-only commands at 1, 10 and 50 clients, then the same requests while
stalled clients hold connections open with half a request each (what a slow or hostile
client does to a server with nothing in front of it), and peak memory.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.databases import fresh_database
from bench.latency import _load, _percentile
from bench.seed import mentee_id, mentor_id, seed_pairs
from bench.servers import REPO, child_pids, environment, free_port, peak_rss_mb
from bench.servers import _wait_until_listening as wait_until_listening
from bot.store.db import make_engine
from sandbox.fake_slack import FakeSlack

# What `python -m bot` ran until now: the standard library's server, a thread per connection.
WSGIREF = """
import socketserver, sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
import bot.wsgi
class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
class Quiet(WSGIRequestHandler):
    def log_message(self, *args): pass
make_server("127.0.0.1", int(sys.argv[1]), bot.wsgi.app, Server, Quiet).serve_forever()
"""


def _commands(port: int) -> dict[str, list[str]]:
    python = sys.executable
    gunicorn = [python, "-m", "gunicorn", "bot.wsgi:app", "--bind", f"127.0.0.1:{port}"]
    gthread = ["--worker-class", "gthread", "--threads", "8", "--log-level", "warning"]
    return {
        "wsgiref (until now)": [python, "-c", WSGIREF, str(port)],
        "waitress, 8 threads": [
            python,
            "-m",
            "waitress",
            "--host=127.0.0.1",
            f"--port={port}",
            "--threads=8",
            "bot.wsgi:app",
        ],
        "gunicorn 1 × 8 gthread": [*gunicorn, "--workers", "1", *gthread],
        "gunicorn 2 × 8 gthread": [*gunicorn, "--workers", "2", *gthread],
    }


@dataclass(frozen=True)
class ServerRow:
    server: str
    clients: int
    requests: int
    p50_ms: float
    p99_ms: float
    errors: int


@contextmanager
def _serving(argv: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until_listening(f"http://127.0.0.1:{port}", process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def _stalled_clients(port: int, count: int) -> Iterator[None]:
    """Connections that send half a request and then nothing: a slow or hostile client."""
    held = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(b"POST /slack/events HTTP/1.1\r\nHost: rounds\r\nContent-Le")
        held.append(connection)
    time.sleep(0.5)  # let the server pick them up
    try:
        yield
    finally:
        for connection in held:
            connection.close()


def _row(server: str, clients: int, latencies: list[float], errors: int) -> ServerRow:
    return ServerRow(
        server=server,
        clients=clients,
        requests=len(latencies),
        p50_ms=statistics.median(latencies) * 1000 if latencies else float("nan"),
        p99_ms=_percentile(latencies, 0.99) if latencies else float("nan"),
        errors=errors,
    )


def measure(
    *, pairs: int, levels: tuple[int, ...], requests: int, stalled: int
) -> tuple[list[ServerRow], dict[str, float]]:
    rows: list[ServerRow] = []
    memory: dict[str, float] = {}
    fake = FakeSlack().start()
    try:
        with fresh_database("sqlite") as url:
            engine = make_engine(url)
            seed_pairs(engine, count=pairs, now=datetime.now(UTC), goals_per_pair=2)
            engine.dispose()
            users = [mentee_id(i) for i in range(pairs)] + [mentor_id(i) for i in range(pairs)]
            env = environment(database_url=url, api_url=fake.api_url)
            response_url = fake.new_response_url()
            for name in _commands(0):
                port = free_port()
                argv = _commands(port)[name]
                with _serving(argv, env, port) as process:
                    base = f"http://127.0.0.1:{port}"
                    _load(base, clients=4, requests=40, users=users, response_url=response_url)
                    for clients in levels:
                        latencies, errors = _load(
                            base,
                            clients=clients,
                            requests=max(requests, clients * 4),
                            users=users,
                            response_url=response_url,
                        )
                        rows.append(_row(name, clients, latencies, errors))
                    with _stalled_clients(port, stalled):
                        latencies, errors = _load(
                            base, clients=4, requests=40, users=users, response_url=response_url
                        )
                        rows.append(_row(f"{name}, {stalled} stalled", 4, latencies, errors))
                    pids = child_pids(process.pid) or [process.pid]
                    memory[name] = sum(peak_rss_mb(pid) for pid in pids)
    finally:
        fake.stop()
    return rows, memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_servers", description=__doc__)
    parser.add_argument("--pairs", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--stalled", type=int, default=16)
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows, memory = measure(
        pairs=args.pairs, levels=(1, 10, 50), requests=args.requests, stalled=args.stalled
    )
    print("| server | clients | requests | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.server} | {r.clients} | {r.requests} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.errors} |"
        )
    print("\n| server | peak RSS MB (all processes) |\n|---|---:|")
    for name, mb in memory.items():
        print(f"| {name} | {mb:.0f} |")
    print(f"\n{time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
