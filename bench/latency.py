"""Acknowledgement latency of signed slash commands against gunicorn, next to a bare Bolt app."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import random
import statistics
import threading
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass

from bench.seed import mentee_id, mentor_id
from bench.servers import SIGNING_SECRET, child_pids, cpu_seconds, environment, gunicorn
from bench.trees import Tree

# The read-only commands a person types most; each is answered within the request.
COMMANDS = (("/checkin", "status"), ("/goal", "list"), ("/mentor", "list"), ("/mentor", "help"))


@dataclass(frozen=True)
class LatencyRow:
    app: str
    clients: int
    requests: int
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float  # the web workers' CPU per request (user + system)
    # None: a closed loop (each client sends again once answered); else requests offered a
    # second, whatever the answers (an open loop over `clients` connections).
    rate: int | None = None


def _signed(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


def _body(command: str, text: str, user: str, response_url: str) -> bytes:
    return urllib.parse.urlencode(
        {
            "team_id": "T0001",
            "user_id": user,
            "command": command,
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.bench",
            "channel_id": "C0BENCH",
        }
    ).encode()


def _load(
    url: str, *, clients: int, requests: int, users: list[str], response_url: str
) -> tuple[list[float], int]:
    host = urllib.parse.urlsplit(url)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_client = max(1, requests // clients)

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        mine: list[float] = []
        failed = 0
        for _ in range(per_client):
            command, text = rng.choice(COMMANDS)
            body = _body(command, text, rng.choice(users), response_url)
            started = time.perf_counter()
            try:
                connection.request("POST", "/slack/events", body=body, headers=_signed(body))
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            mine.append(time.perf_counter() - started)
            failed += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def _load_at_rate(
    url: str, *, rate: int, connections: int, requests: int, users: list[str], response_url: str
) -> tuple[list[float], int]:
    """Request i is due `i / rate` seconds after the start, however the earlier ones went, and
    its latency runs from when it was due: a backlog counts against the app (no coordinated
    omission). Each of `connections` clients sends the next request due once it is free."""
    host = urllib.parse.urlsplit(url)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    numbers = itertools.count()
    start = time.perf_counter() + 0.05

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        mine: list[float] = []
        failed = 0
        while (number := next(numbers)) < requests:
            command, text = rng.choice(COMMANDS)
            body = _body(command, text, rng.choice(users), response_url)
            due = start + number / rate
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            try:
                connection.request("POST", "/slack/events", body=body, headers=_signed(body))
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            mine.append(time.perf_counter() - due)
            failed += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


# Each level's requests are sent in this many rounds, the apps taking turns, so a moment when
# the shared machine is slow falls on every app alike instead of on whichever ran then.
ROUNDS = 5


def measure_latency(
    *,
    database_url: str,
    api_url: str,
    response_url: str,
    pairs: int,
    levels: tuple[int, ...],
    requests: int,
    apps: list[tuple[str, str, Tree]],
    steady: tuple[tuple[int, int], ...] = (),
) -> list[LatencyRow]:
    """`apps`: (label, WSGI app, code tree) for each app measured; all run at once, idle but
    for the one being measured, and take turns at each level. `levels`: closed-loop clients;
    `steady`: (requests a second, connections) offered whatever the answers."""
    users = [mentee_id(index) for index in range(pairs)] + [
        mentor_id(index) for index in range(pairs)
    ]
    with ExitStack() as stack:
        servers = []
        for label, app, tree in apps:
            env = environment(database_url=database_url, api_url=api_url, tree=tree)
            url, process = stack.enter_context(gunicorn(app, env, cwd=tree.path))
            _load(url, clients=4, requests=40, users=users, response_url=response_url)  # warm up
            servers.append((label, url, child_pids(process.pid)))
        loads: list[tuple[int, int | None]] = [(clients, None) for clients in levels]
        loads += [(connections, rate) for rate, connections in steady]
        rows = []
        for clients, rate in loads:
            per_round = max(requests, clients * 4) // ROUNDS
            latencies: dict[str, list[float]] = {label: [] for label, _, _ in servers}
            errors = dict.fromkeys(latencies, 0)
            cpu = dict.fromkeys(latencies, 0.0)
            for round_ in range(ROUNDS):
                # Alternate the order too: nobody always goes right after somebody else.
                for label, url, workers in servers[:: 1 if round_ % 2 == 0 else -1]:
                    cpu_before = sum(cpu_seconds(pid) for pid in workers)
                    if rate is None:
                        measured, failed = _load(
                            url,
                            clients=clients,
                            requests=per_round,
                            users=users,
                            response_url=response_url,
                        )
                    else:
                        measured, failed = _load_at_rate(
                            url,
                            rate=rate,
                            connections=clients,
                            requests=per_round,
                            users=users,
                            response_url=response_url,
                        )
                    cpu[label] += sum(cpu_seconds(pid) for pid in workers) - cpu_before
                    latencies[label] += measured
                    errors[label] += failed
            for label, measured in latencies.items():
                rows.append(
                    LatencyRow(
                        app=label,
                        clients=clients,
                        requests=len(measured),
                        p50_ms=statistics.median(measured) * 1000,
                        p99_ms=_percentile(measured, 0.99),
                        errors=errors[label],
                        cpu_ms=cpu[label] * 1000 / max(1, len(measured)),
                        rate=rate,
                    )
                )
    return sorted(rows, key=lambda row: [label for label, _, _ in apps].index(row.app))
