"""Delivery, measured two ways, because they are bound by different things.

* Pacing: against Slack's real limits for chat.postMessage (about one message a second per
  channel, and a workspace budget of a few hundred a minute after a short burst), how close
  the dispatcher gets to what those limits allow. Bound by the limits: the worker mostly
  waits. Duplicates, Slack calls per nudge and refused calls show what the pacing costs.
* CPU per nudge: with no limits at all, the worker's CPU time per nudge sent (and, on
  PostgreSQL, the database server's), which bounds a worker's throughput on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.seed import seed_due_deliveries, seed_pairs
from bench.servers import environment
from bench.trees import REPO, Tree
from bot.store.db import make_engine
from bot.store.models import DeliveryKind
from sandbox.fake_slack import FakeSlack

PER_CHANNEL_PER_SECOND = 1.0


@dataclass(frozen=True)
class Limits:
    per_minute: int  # the workspace's budget
    workspace_burst: int
    channel_burst: int  # what one channel may send at once, then one a second


@dataclass(frozen=True)
class PacingRow:
    nudges: int
    channels: int
    seconds: float
    achieved_per_second: float
    ideal_seconds: float
    ratio: float
    duplicates: int
    calls_per_nudge: float
    rate_limited_calls: int


@dataclass(frozen=True)
class CpuRow:
    nudges: int
    seconds: float
    worker_cpu_ms: float  # per nudge
    db_cpu_ms: float  # per nudge: the PostgreSQL backends serving the worker (0 on SQLite)
    duplicates: int


def virtual_afternoon(now: datetime) -> datetime:
    """The next Tuesday at 18:00 UTC: inside working hours in every benchmark zone."""
    day = now.date() + timedelta(days=(1 - now.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)


def run_live_dispatch(
    *, database_url: str, api_url: str, start: datetime, plan: bool, tree: Tree
) -> dict[str, float]:
    command = [sys.executable, str(REPO / "bench" / "live_dispatch.py"), start.isoformat()]
    if plan:
        command.append("--plan")
    result = subprocess.run(
        command,
        cwd=tree.path,
        env=environment(database_url=database_url, api_url=api_url, tree=tree),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"live_dispatch failed against {tree.label}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _duplicates(fake: FakeSlack) -> int:
    posted = Counter(
        (message.get("metadata") or {}).get("event_payload", {}).get("delivery_id")
        for message in fake.messages()
    )
    return sum(count - 1 for count in posted.values() if count > 1)


def ideal_seconds(per_channel: list[int], limits: Limits) -> float:
    """How long a sender with no latency at all needs against the same token buckets: every
    moment it posts whatever the buckets allow, busiest channels first."""
    rate = limits.per_minute / 60
    workspace = float(limits.workspace_burst)
    channels = [float(limits.channel_burst)] * len(per_channel)
    remaining = list(per_channel)
    step, elapsed, last = 0.01, 0.0, 0.0
    while any(remaining):
        for index in sorted(range(len(remaining)), key=lambda i: -remaining[i]):
            if workspace < 1:
                break
            if remaining[index] and channels[index] >= 1:
                remaining[index] -= 1
                channels[index] -= 1
                workspace -= 1
                last = elapsed
        elapsed += step
        workspace = min(float(limits.workspace_burst), workspace + rate * step)
        channels = [
            min(float(limits.channel_burst), tokens + PER_CHANNEL_PER_SECOND * step)
            for tokens in channels
        ]
    return last


def measure_pacing(
    *,
    database_url: str,
    fake: FakeSlack,
    channels: int,
    per_channel: int,
    limits: Limits,
    tree: Tree,
) -> PacingRow:
    start = virtual_afternoon(datetime.now(UTC))
    engine = make_engine(database_url)
    seed_pairs(engine, count=channels, now=start - timedelta(days=1))
    for round_ in range(per_channel):
        seed_due_deliveries(engine, now=start, period=f"bench-{round_}")
    engine.dispose()
    fake.reset()
    for index in range(channels):
        fake.add_channel(f"G{index:09d}")
    fake.set_rate_limit(
        per_channel_per_second=PER_CHANNEL_PER_SECOND,
        workspace_per_minute=limits.per_minute,
        channel_burst=limits.channel_burst,
        workspace_burst=limits.workspace_burst,
    )
    outcome = run_live_dispatch(
        database_url=database_url, api_url=fake.api_url, start=start, plan=False, tree=tree
    )
    calls = fake.calls_to("chat.postMessage")
    nudges = channels * per_channel
    ideal = ideal_seconds([per_channel] * channels, limits)
    seconds = float(outcome["seconds"])
    fake.set_rate_limit()
    return PacingRow(
        nudges=nudges,
        channels=channels,
        seconds=seconds,
        achieved_per_second=outcome["sent"] / seconds if seconds else 0.0,
        ideal_seconds=ideal,
        ratio=ideal / seconds if seconds else 0.0,
        duplicates=_duplicates(fake),
        calls_per_nudge=len(calls) / max(1, int(outcome["sent"])),
        rate_limited_calls=sum(1 for call in calls if not call.answered_ok),
    )


@dataclass(frozen=True)
class WelcomeLimits:
    opens_per_minute: int  # conversations.open (Slack's Tier 3 is about 50)
    opens_burst: int


@dataclass(frozen=True)
class WelcomeRow:
    welcomes: int
    seconds: float
    ideal_seconds: float
    ratio: float
    duplicates: int
    calls_per_welcome: float  # conversations.open and chat.postMessage, refused ones too
    rate_limited_calls: int


def measure_welcomes(
    *,
    database_url: str,
    fake: FakeSlack,
    welcomes: int,
    opens: WelcomeLimits,
    posts: Limits,
    tree: Tree,
) -> WelcomeRow:
    """Imported pairs' welcomes all due at once (a worker back from downtime, or an import's
    schedule it fell behind on): each opens the pair's check-in space, then posts there."""
    start = virtual_afternoon(datetime.now(UTC))
    engine = make_engine(database_url)
    seed_pairs(engine, count=welcomes, now=start - timedelta(days=1), spaces=False)
    seed_due_deliveries(engine, now=start, period="welcome", kind=DeliveryKind.WELCOME)
    engine.dispose()
    fake.reset()
    fake.set_rate_limit(
        per_channel_per_second=PER_CHANNEL_PER_SECOND,
        workspace_per_minute=posts.per_minute,
        channel_burst=posts.channel_burst,
        workspace_burst=posts.workspace_burst,
    )
    fake.set_method_limit(
        "conversations.open", per_minute=opens.opens_per_minute, burst=opens.opens_burst
    )
    outcome = run_live_dispatch(
        database_url=database_url, api_url=fake.api_url, start=start, plan=False, tree=tree
    )
    calls = fake.calls_to("conversations.open") + fake.calls_to("chat.postMessage")
    # Opening is the tighter limit: a burst, then a steady rate; each post follows its open.
    ideal = max(0, welcomes - opens.opens_burst) / (opens.opens_per_minute / 60)
    seconds = float(outcome["seconds"])
    fake.set_rate_limit()
    fake.set_method_limit("conversations.open", per_minute=None)
    return WelcomeRow(
        welcomes=int(outcome["sent"]),
        seconds=seconds,
        ideal_seconds=ideal,
        ratio=ideal / seconds if seconds else 0.0,
        duplicates=_duplicates(fake),
        calls_per_welcome=len(calls) / max(1, int(outcome["sent"])),
        rate_limited_calls=sum(1 for call in calls if not call.answered_ok),
    )


def measure_cpu(*, database_url: str, fake: FakeSlack, nudges: int, tree: Tree) -> CpuRow:
    start = virtual_afternoon(datetime.now(UTC))
    engine = make_engine(database_url)
    seed_pairs(engine, count=nudges, now=start - timedelta(days=1), goals_per_pair=2)
    seed_due_deliveries(engine, now=start)
    engine.dispose()
    fake.reset()
    for index in range(nudges):
        fake.add_channel(f"G{index:09d}")
    outcome = run_live_dispatch(
        database_url=database_url, api_url=fake.api_url, start=start, plan=False, tree=tree
    )
    sent = max(1, int(outcome["sent"]))
    return CpuRow(
        nudges=int(outcome["sent"]),
        seconds=float(outcome["seconds"]),
        worker_cpu_ms=outcome["cpu_seconds"] * 1000 / sent,
        db_cpu_ms=outcome["db_cpu_seconds"] * 1000 / sent,
        duplicates=_duplicates(fake),
    )
