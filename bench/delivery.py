"""Delivery rate under Slack's rate limits, duplicates, and Slack calls per nudge."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.seed import seed_due_deliveries, seed_pairs
from bench.servers import REPO, environment
from bot.store.db import make_engine
from sandbox.fake_slack import FakeSlack

PER_CHANNEL_PER_SECOND = 1.0


@dataclass(frozen=True)
class DeliveryRow:
    nudges: int
    workspace_per_minute: int
    seconds: float
    achieved_per_second: float
    ideal_seconds: float
    ratio: float | None
    duplicates: int
    calls_per_nudge: float
    rate_limited_calls: int


def virtual_afternoon(now: datetime) -> datetime:
    """The next Tuesday at 18:00 UTC: inside working hours in every benchmark zone."""
    day = now.date() + timedelta(days=(1 - now.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)


def run_live_dispatch(
    *, database_url: str, api_url: str, start: datetime, plan: bool
) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.live_dispatch", start.isoformat()]
    if plan:
        command.append("--plan")
    result = subprocess.run(
        command,
        cwd=REPO,
        env=environment(database_url=database_url, api_url=api_url),
        capture_output=True,
        text=True,
        timeout=1200,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_delivery(
    *, database_url: str, fake: FakeSlack, nudges: int, workspace_per_minute: int
) -> DeliveryRow:
    start = virtual_afternoon(datetime.now(UTC))
    engine = make_engine(database_url)
    seed_pairs(engine, count=nudges, now=start - timedelta(days=1))
    seed_due_deliveries(engine, now=start)
    engine.dispose()
    fake.reset()
    for index in range(nudges):
        fake.add_channel(f"G{index:09d}")
    fake.set_rate_limit(
        per_channel_per_second=PER_CHANNEL_PER_SECOND, workspace_per_minute=workspace_per_minute
    )
    outcome = run_live_dispatch(
        database_url=database_url, api_url=fake.api_url, start=start, plan=False
    )
    calls = fake.calls_to("chat.postMessage")
    refused = sum(1 for call in calls if not call.answered_ok)
    posted = Counter(
        (message.get("metadata") or {}).get("event_payload", {}).get("delivery_id")
        for message in fake.messages()
    )
    duplicates = sum(count - 1 for count in posted.values() if count > 1)
    # A sender with no latency at all, against the same buckets: the workspace bucket starts
    # full (a minute's worth) and refills at its rate; every channel here gets one nudge.
    burst, rate = workspace_per_minute, workspace_per_minute / 60
    ideal = max(0.0, (nudges - burst) / rate)
    seconds = float(outcome["seconds"])
    return DeliveryRow(
        nudges=nudges,
        workspace_per_minute=workspace_per_minute,
        seconds=seconds,
        achieved_per_second=outcome["sent"] / seconds if seconds else 0.0,
        ideal_seconds=ideal,
        ratio=ideal / seconds if ideal else None,
        duplicates=duplicates,
        calls_per_nudge=len(calls) / max(1, int(outcome["sent"])),
        rate_limited_calls=refused,
    )
