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
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial

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


class _Client:
    """One keep-alive connection sending signed read-only commands for random people."""

    def __init__(
        self, host: urllib.parse.SplitResult, seed: int, users: list[str], response_url: str
    ) -> None:
        self.host = host
        self.rng = random.Random(seed)
        self.users = users
        self.response_url = response_url
        self.connection = self._connect()
        self.latencies: list[float] = []
        self.failed = 0

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host.hostname, self.host.port, timeout=30)

    def next_body(self) -> bytes:
        command, text = self.rng.choice(COMMANDS)
        return _body(command, text, self.rng.choice(self.users), self.response_url)

    def ask(self, body: bytes, *, since: float) -> None:
        """Send `body`; its latency runs from `since` to the answer."""
        try:
            self.connection.request("POST", "/slack/events", body=body, headers=_signed(body))
            response = self.connection.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            ok = False
            self.connection.close()
            self.connection = self._connect()
        self.latencies.append(time.perf_counter() - since)
        self.failed += not ok


def _with_clients(
    url: str, count: int, users: list[str], response_url: str, work: Callable[[_Client], None]
) -> tuple[list[float], int]:
    """Runs `work` for each of `count` clients at once; their latencies and failures."""
    host = urllib.parse.urlsplit(url)
    clients = [_Client(host, seed, users, response_url) for seed in range(count)]
    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.connection.close()
    return [value for client in clients for value in client.latencies], sum(
        client.failed for client in clients
    )


def _load(
    url: str, *, clients: int, requests: int, users: list[str], response_url: str
) -> tuple[list[float], int]:
    """Closed loop: each client sends again as soon as it is answered."""
    per_client = max(1, requests // clients)

    def work(client: _Client) -> None:
        for _ in range(per_client):
            body = client.next_body()
            client.ask(body, since=time.perf_counter())

    return _with_clients(url, clients, users, response_url, work)


def _load_at_rate(
    url: str, *, rate: int, clients: int, requests: int, users: list[str], response_url: str
) -> tuple[list[float], int]:
    """Request i is due `i / rate` seconds after the start, however the earlier ones went, and
    its latency runs from when it was due: a backlog counts against the app (no coordinated
    omission). Each of `clients` connections sends the next request due once it is free."""
    numbers = itertools.count()
    start = time.perf_counter() + 0.05

    def work(client: _Client) -> None:
        while (number := next(numbers)) < requests:
            body = client.next_body()
            due = start + number / rate
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            client.ask(body, since=due)

    return _with_clients(url, clients, users, response_url, work)


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
                    load = _load if rate is None else partial(_load_at_rate, rate=rate)
                    measured, failed = load(
                        url,
                        clients=clients,
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
