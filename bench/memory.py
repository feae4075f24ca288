"""Peak resident memory of a worker and of one web process with many pairs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.delivery import run_live_dispatch, virtual_afternoon
from bench.latency import _load
from bench.seed import mentee_id, seed_pairs
from bench.servers import child_pids, environment, gunicorn, peak_rss_mb
from bot.store.db import make_engine
from sandbox.fake_slack import FakeSlack


@dataclass(frozen=True)
class MemoryRow:
    pairs: int
    worker_mb: float
    worker_nudges: int
    web_mb: float
    web_requests: int


def measure_memory(*, database_url: str, fake: FakeSlack, pairs: int, requests: int) -> MemoryRow:
    start = virtual_afternoon(datetime.now(UTC))
    engine = make_engine(database_url)
    seed_pairs(engine, count=pairs, now=start - timedelta(days=1), due_every=10, goals_per_pair=1)
    engine.dispose()
    fake.reset()
    fake.set_rate_limit(per_channel_per_second=None, workspace_per_minute=None)
    for index in range(0, pairs, 10):
        fake.add_channel(f"G{index:09d}")
    # The due pairs' prompts were due a day before `start`... move the clock to their day.
    worker = run_live_dispatch(
        database_url=database_url, api_url=fake.api_url, start=start - timedelta(days=1), plan=True
    )
    env = environment(database_url=database_url, api_url=fake.api_url)
    users = [mentee_id(index) for index in range(0, pairs, max(1, pairs // 1000))]
    with gunicorn("bot.wsgi:app", env, workers=1) as (url, master):
        _load(url, clients=8, requests=requests, users=users, response_url=fake.new_response_url())
        (web_worker,) = child_pids(master.pid)
        web_mb = peak_rss_mb(web_worker)
    return MemoryRow(
        pairs=pairs,
        worker_mb=float(worker["peak_rss_mb"]),
        worker_nudges=int(worker["sent"]),
        web_mb=web_mb,
        web_requests=requests,
    )
