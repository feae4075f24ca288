"""`python -m bench`: every benchmark on SQLite and PostgreSQL; prints a report and writes
docs/PERFORMANCE.md. `--baseline REF` also measures another commit (say `main`) in the same run,
on the same machine, so the report shows before and after side by side. `--scale smoke` runs
each at a tiny size (the test suite does this)."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.databases import fresh_database
from bench.delivery import (
    PER_CHANNEL_PER_SECOND,
    CpuRow,
    Limits,
    PacingRow,
    WelcomeLimits,
    WelcomeRow,
    measure_cpu,
    measure_pacing,
    measure_welcomes,
)
from bench.latency import COMMANDS, LatencyRow, measure_latency
from bench.machine import MachineSpeed, measure_machine
from bench.memory import MemoryRow, measure_memory
from bench.phi import FALSE_ALARM_TARGET, RECALL_TARGET, PhiRow, measure_phi
from bench.planning import PlanningRow, measure_planning
from bench.program import LOOKUP_SECONDS, ProgramRow, measure_program
from bench.seed import seed_pairs
from bench.servers import WEB_THREADS, WEB_WORKERS
from bench.trees import CURRENT, Tree, exported
from bot.store.db import make_engine
from sandbox.fake_slack import FakeSlack

ROUNDS, BARE = "Rounds", "bare Bolt"


@dataclass(frozen=True)
class Scale:
    latency_pairs: int
    latency_levels: tuple[int, ...]
    latency_steady: tuple[tuple[int, int], ...]  # (requests a second, connections)
    latency_requests: int
    planning_sizes: tuple[int, ...]
    pacing_channels: int
    pacing_per_channel: int
    pacing_limits: Limits
    cpu_nudges: int
    welcomes: int
    welcome_limits: WelcomeLimits
    memory_pairs: int
    memory_requests: int
    program_lines: int
    program_pairs: int


SCALES = {
    "full": Scale(
        latency_pairs=10_000,
        latency_levels=(1, 10, 50),
        # A school's busiest minute is a few commands a second; these are far above it.
        latency_steady=((100, 10), (300, 50)),
        latency_requests=1_000,
        planning_sizes=(1_000, 10_000, 100_000),
        pacing_channels=100,
        pacing_per_channel=4,
        pacing_limits=Limits(per_minute=600, workspace_burst=100, channel_burst=1),
        cpu_nudges=3_000,
        # The 500 imported pairs, at Tier 3 (about 50 opens a minute) six times faster:
        # a minute and a half instead of ten.
        welcomes=500,
        welcome_limits=WelcomeLimits(opens_per_minute=300, opens_burst=10),
        memory_pairs=100_000,
        memory_requests=500,
        program_lines=1_000,
        program_pairs=1_000,
    ),
    "smoke": Scale(
        latency_pairs=50,
        latency_levels=(1, 4),
        latency_steady=((50, 4),),
        latency_requests=16,
        planning_sizes=(100, 300),
        pacing_channels=4,
        pacing_per_channel=2,
        pacing_limits=Limits(per_minute=600, workspace_burst=4, channel_burst=1),
        cpu_nudges=30,
        welcomes=6,
        welcome_limits=WelcomeLimits(opens_per_minute=600, opens_burst=2),
        memory_pairs=300,
        memory_requests=20,
        program_lines=20,
        program_pairs=50,
    ),
}


@dataclass
class Results:
    backend: str
    latency: list[LatencyRow] = field(default_factory=list)
    planning: dict[str, list[PlanningRow]] = field(default_factory=dict)
    pacing: dict[str, PacingRow] = field(default_factory=dict)
    cpu: dict[str, CpuRow] = field(default_factory=dict)
    welcomes: dict[str, WelcomeRow] = field(default_factory=dict)
    memory: dict[str, MemoryRow] = field(default_factory=dict)
    program: ProgramRow | None = None


def _app_label(tree: Tree) -> str:
    return ROUNDS if tree.is_current else f"{ROUNDS}, {tree.label}"


def run_backend(
    backend: str, scale: Scale, fake: FakeSlack, *, only: set[str], trees: list[Tree]
) -> Results:
    results = Results(backend)
    if "latency" in only:
        for tree in trees:
            with fresh_database(backend, tree) as url:
                engine = make_engine(url)
                seed_pairs(
                    engine, count=scale.latency_pairs, now=datetime.now(UTC), goals_per_pair=2
                )
                engine.dispose()
                apps = [(_app_label(tree), "bot.wsgi:app", tree)]
                if tree.is_current:
                    apps.append((BARE, "bench.bare_app:app", CURRENT))
                results.latency += measure_latency(
                    database_url=url,
                    api_url=fake.api_url,
                    response_url=fake.new_response_url(),
                    pairs=scale.latency_pairs,
                    levels=scale.latency_levels,
                    steady=scale.latency_steady,
                    requests=scale.latency_requests,
                    apps=apps,
                )
    for tree in trees:
        if "planning" in only:
            results.planning[tree.label] = measure_planning(
                backend=backend,
                sizes=scale.planning_sizes,
                now=datetime.now(UTC),
                tree=tree,
                api_url=fake.api_url,
            )
        if "delivery" in only:
            with fresh_database(backend, tree) as url:
                results.pacing[tree.label] = measure_pacing(
                    database_url=url,
                    fake=fake,
                    channels=scale.pacing_channels,
                    per_channel=scale.pacing_per_channel,
                    limits=scale.pacing_limits,
                    tree=tree,
                )
            with fresh_database(backend, tree) as url:
                results.cpu[tree.label] = measure_cpu(
                    database_url=url, fake=fake, nudges=scale.cpu_nudges, tree=tree
                )
            with fresh_database(backend, tree) as url:
                results.welcomes[tree.label] = measure_welcomes(
                    database_url=url,
                    fake=fake,
                    welcomes=scale.welcomes,
                    opens=scale.welcome_limits,
                    posts=scale.pacing_limits,
                    tree=tree,
                )
        if "memory" in only:
            with fresh_database(backend, tree) as url:
                results.memory[tree.label] = measure_memory(
                    database_url=url,
                    fake=fake,
                    pairs=scale.memory_pairs,
                    requests=scale.memory_requests,
                    tree=tree,
                )
    if "program" in only:
        with fresh_database(backend) as url:
            results.program = measure_program(
                database_url=url, fake=fake, lines=scale.program_lines, pairs=scale.program_pairs
            )
    return results


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(headers: list[str], rows: list[list[object]]) -> list[str]:
    """A Markdown table; the first column is left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _ratio(value: float, base: float) -> float:
    return value / base if base else float("inf")


def _latency_table(rows: list[LatencyRow], first: str) -> list[str]:
    return table(
        ["app", first, "requests", "p50 ms", "p99 ms", "errors", "CPU ms/request"],
        [
            [
                r.app,
                r.clients if r.rate is None else f"{r.rate}/s over {r.clients}",
                r.requests,
                f"{r.p50_ms:.1f}",
                f"{r.p99_ms:.1f}",
                r.errors,
                f"{r.cpu_ms:.2f}",
            ]
            for r in rows
        ],
    )


def render_latency(rows: list[LatencyRow]) -> list[str]:
    commands = ", ".join(f"`{command} {text}`" for command, text in COMMANDS)
    closed = [r for r in rows if r.rate is None]
    lines = [
        f"**Acknowledgement latency**: signed {commands} to gunicorn ({WEB_WORKERS} workers × "
        f"{WEB_THREADS} threads); CPU is the web workers' user + system time per request. "
        "Closed loop: each client sends again as soon as it is answered\n",
        *_latency_table(closed, "clients"),
    ]
    rounds = {r.clients: r for r in closed if r.app == ROUNDS}
    bare = {r.clients: r for r in closed if r.app == BARE}
    if rounds and bare:
        first = min(rounds)
        verdicts = [
            f"p50 at {first} client: {rounds[first].p50_ms:.1f} ms vs bare Bolt's "
            f"{bare[first].p50_ms:.1f} ms (target below it: "
            f"{_verdict(rounds[first].p50_ms < bare[first].p50_ms)})"
        ]
        for clients in sorted(rounds)[1:]:
            ratio = _ratio(rounds[clients].p99_ms, bare[clients].p99_ms)
            verdicts.append(
                f"p99 at {clients}: {rounds[clients].p99_ms:.1f} ms, {ratio:.2f}× bare Bolt's "
                f"(targets ≤ 1.3× and < 100 ms: "
                f"{_verdict(ratio <= 1.3 and rounds[clients].p99_ms < 100)})"
            )
        lines += ["", "; ".join(verdicts) + "."]
    steady = [r for r in rows if r.rate is not None]
    if steady:
        lines += [
            "",
            "The same commands at a steady offered load (open loop: each request is due at "
            "its time whatever the answers, and its latency counts from then), the same for "
            "every app:\n",
            *_latency_table(steady, "offered"),
        ]
        by_app = {(r.app, r.rate): r for r in steady}
        ratios = [
            f"p99 at {rate}/s: {_ratio(ours.p99_ms, theirs.p99_ms):.2f}× bare Bolt's"
            for (app, rate), ours in by_app.items()
            if app == ROUNDS and (theirs := by_app.get((BARE, rate))) is not None
        ]
        if ratios:
            lines += ["", "; ".join(ratios) + "."]
    return [*lines, ""]


def render_planning(by_tree: dict[str, list[PlanningRow]]) -> list[str]:
    lines = [
        "**Planning**: the worker's passes with nothing due (planner, and dispatcher over an "
        "outbox holding a sent prompt per pair; median of seven), then a planner pass with a "
        "tenth of the pairs due (median of three), with its CPU time in the worker and in the "
        "database server\n"
    ]
    lines += table(
        [
            "code",
            "pairs",
            "planner idle ms",
            "dispatcher idle ms",
            "10% due ms",
            "worker CPU ms",
            "DB server CPU ms",
            "prompts planned",
        ],
        [
            [
                label,
                f"{r.pairs:,}",
                f"{r.idle_plan_ms:.2f}",
                f"{r.idle_dispatch_ms:.2f}",
                f"{r.busy_ms:.0f}",
                f"{r.busy_cpu_ms:.0f}",
                f"{r.busy_db_cpu_ms:.0f}",
                f"{r.planned:,}",
            ]
            for label, rows in by_tree.items()
            for r in rows
        ],
    )
    rows = by_tree[CURRENT.label]
    smallest, largest = rows[0], rows[-1]
    plan_growth = _ratio(largest.idle_plan_ms, smallest.idle_plan_ms)
    dispatch_growth = _ratio(largest.idle_dispatch_ms, smallest.idle_dispatch_ms)
    lines.append(
        f"\nAt {largest.pairs:,} pairs: {largest.planned:,} prompts planned in "
        f"{largest.busy_ms:.0f} ms (target < 1 s: {_verdict(largest.busy_ms < 1000)}); nothing "
        f"due, planner {largest.idle_plan_ms:.2f} ms (target < 10 ms: "
        f"{_verdict(largest.idle_plan_ms < 10)}) and dispatcher "
        f"{largest.idle_dispatch_ms:.2f} ms; from {smallest.pairs:,} to {largest.pairs:,} pairs "
        f"the idle passes took {plan_growth:.1f}× and {dispatch_growth:.1f}× as long (target "
        f"flat, within 2× of a hundred times fewer pairs: "
        f"{_verdict(plan_growth <= 2 and dispatch_growth <= 2)}).\n"
    )
    return lines


def render_pacing(by_tree: dict[str, PacingRow], limits: Limits) -> list[str]:
    lines = [
        f"**Delivery at Slack's limits**: the fake Slack allows {PER_CHANNEL_PER_SECOND:g} "
        f"message a second per channel (a burst of {limits.channel_burst}) and "
        f"{limits.per_minute:,} a minute per workspace (a burst of {limits.workspace_burst}); "
        "one worker, live passes\n"
    ]
    lines += table(
        [
            "code",
            "nudges",
            "channels",
            "s",
            "nudges/s",
            "ideal s",
            "achieved ÷ allowed",
            "dupes",
            "calls/nudge",
            "429s",
        ],
        [
            [
                label,
                f"{r.nudges:,}",
                r.channels,
                f"{r.seconds:.1f}",
                f"{r.achieved_per_second:.1f}",
                f"{r.ideal_seconds:.1f}",
                f"{r.ratio:.2f}",
                r.duplicates,
                f"{r.calls_per_nudge:.3f}",
                r.rate_limited_calls,
            ]
            for label, r in by_tree.items()
        ],
    )
    r = by_tree[CURRENT.label]
    lines.append(
        f"\nTargets: achieved ≥ 0.9 of allowed {_verdict(r.ratio >= 0.9)}, duplicates 0 "
        f"{_verdict(r.duplicates == 0)}.\n"
    )
    return lines


def render_cpu(by_tree: dict[str, CpuRow], speed: MachineSpeed) -> list[str]:
    lines = [
        "**CPU per nudge**: one worker sends prompts (with the pairs' open goals) to a fake "
        "Slack with no limits; CPU time of the worker process, and of the PostgreSQL backends "
        "serving it\n"
    ]
    lines += table(
        ["code", "nudges", "s", "worker CPU ms/nudge", "DB server CPU ms/nudge", "dupes"],
        [
            [
                label,
                f"{r.nudges:,}",
                f"{r.seconds:.1f}",
                f"{r.worker_cpu_ms:.2f}",
                f"{r.db_cpu_ms:.2f}",
                r.duplicates,
            ]
            for label, r in by_tree.items()
        ],
    )
    r = by_tree[CURRENT.label]
    lines.append(
        f"\nTarget ≤ 3 ms of worker CPU per nudge: {_verdict(r.worker_cpu_ms <= 3)} "
        f"({r.worker_cpu_ms:.2f} ms, {speed.loops(r.worker_cpu_ms) * 1000:.1f} thousandths of "
        "the reference loop).\n"
    )
    return lines


def render_welcomes(by_tree: dict[str, WelcomeRow], limits: WelcomeLimits) -> list[str]:
    lines = [
        "**Welcomes of imported pairs**, all due at once (the import's own schedule is 45 a "
        "minute, nine tenths of Tier 3's 50; this is a worker catching up): each opens the "
        f"pair's check-in space, {limits.opens_per_minute} opens a minute after a burst of "
        f"{limits.opens_burst} (Tier 3 six times faster, to keep the run short), then posts "
        "there under the limits above\n"
    ]
    lines += table(
        [
            "code",
            "welcomes",
            "s",
            "ideal s",
            "achieved ÷ allowed",
            "dupes",
            "calls/welcome",
            "429s",
        ],
        [
            [
                label,
                f"{r.welcomes:,}",
                f"{r.seconds:.1f}",
                f"{r.ideal_seconds:.1f}",
                f"{r.ratio:.2f}",
                r.duplicates,
                f"{r.calls_per_welcome:.2f}",
                r.rate_limited_calls,
            ]
            for label, r in by_tree.items()
        ],
    )
    r = by_tree[CURRENT.label]
    lines.append(
        f"\nTargets: achieved ≥ 0.9 of allowed {_verdict(r.ratio >= 0.9)}, duplicates 0 "
        f"{_verdict(r.duplicates == 0)}.\n"
    )
    return lines


def render_memory(by_tree: dict[str, MemoryRow]) -> list[str]:
    lines = ["**Memory**: peak RSS\n"]
    lines += table(
        ["code", "pairs", "worker MB (nudges planned and sent, s)", "web process MB (requests)"],
        [
            [
                label,
                f"{r.pairs:,}",
                f"{r.worker_mb:.0f} ({r.worker_nudges:,}, {r.worker_seconds:.0f} s)",
                f"{r.web_mb:.0f} ({r.web_requests})",
            ]
            for label, r in by_tree.items()
        ],
    )
    r = by_tree[CURRENT.label]
    lines.append(
        f"\nTarget < 200 MB each: worker {_verdict(r.worker_mb < 200)}, "
        f"web {_verdict(r.web_mb < 200)}.\n"
    )
    return lines


def render_phi(row: PhiRow) -> list[str]:
    lines = [
        "**Patient-information guard**: the labelled sentences in `tests/data/phi_sentences.tsv`\n"
    ]
    lines += table(
        ["sentences", "with identifiers", "caught", "recall", "false alarms", "rate", "µs each"],
        [
            [
                row.with_identifiers + row.without,
                row.with_identifiers,
                row.caught,
                f"{row.recall:.3f}",
                row.false_alarms,
                f"{row.false_alarm_rate:.3f}",
                f"{row.microseconds_per_sentence:.0f}",
            ]
        ],
    )
    lines.append(
        f"\nTargets: recall ≥ {RECALL_TARGET} {_verdict(row.recall >= RECALL_TARGET)}, "
        f"false alarms ≤ {FALSE_ALARM_TARGET} "
        f"{_verdict(row.false_alarm_rate <= FALSE_ALARM_TARGET)}.\n"
    )
    return lines


def render_program(row: ProgramRow) -> list[str]:
    lines = [
        "**Program tools**: dry run of a CSV import (every Slack look-up — one address, or a "
        f"page of the workspace's directory — answered in {LOOKUP_SECONDS * 1000:.0f} ms), and "
        "a coordinator's Home tab with a tenth of the pairs going cold\n"
    ]
    lines += table(
        ["CSV lines", "Slack calls", "dry run s", "pairs", "Home tab ms", "Home blocks"],
        [
            [
                f"{row.csv_lines:,}",
                f"{row.lookups:,}",
                f"{row.dry_run_s:.1f}",
                f"{row.home_pairs:,}",
                f"{row.home_ms:.1f}",
                row.home_blocks,
            ]
        ],
    )
    lines.append(
        f"\nDry run under 5 s: {_verdict(row.dry_run_s < 5)}; Home tab within Slack's 100 "
        f"blocks: {_verdict(row.home_blocks <= 100)}.\n"
    )
    return lines


def render_speed(label: str, speed: MachineSpeed) -> str:
    return (
        f"{label}: the reference loop (bench/machine.py) took {speed.loop_ms:.0f} ms of CPU and "
        f"{speed.loop_wall_ms:.0f} ms of wall time; load average {speed.load_average:.1f} on "
        f"{speed.cores} cores."
    )


READING = """
## Reading the numbers

- **Before and after** rows come from one run: the baseline commit is exported next to this
  tree, and each measurement runs the same way against both (same seeded data, same load
  generator, same fake Slack), one after the other. On a shared machine the absolute numbers
  move with the load; compare rows of one run, and the reference loop across runs.
- **Latency** is measured at the HTTP response, which Bolt sends once the listener has
  acked. Rounds and the bare app run side by side and take turns, five rounds at each level,
  so the moments the shared machine is slow fall on both alike. For a listener in its thread
  pool Bolt checks for the ack every 10 ms: that is the floor a bare Bolt app shows (~11 ms).
  Rounds answers the read-only commands within the request instead (listener middleware
  that runs the handler and returns its ack), from one indexed statement (a UNION of the
  person's pairs as mentee and as mentor, with both members and the goals) and no Slack call
  when the person's cached profile is fresh; writes, and someone new or stale (Slack is
  asked for their profile), still go through the pool and ack first. The statement runs
  straight through the database driver (`bot/store/driver_reads.py`: SQLAlchemy writes the
  SQL once and its column types still convert every value; what is skipped is SQLAlchemy's
  work per execution, three quarters of the read's CPU), on a pooled connection that is
  pinged only after five idle seconds. At one client Rounds is bound by its CPU per request,
  far below the bare app's polling floor.
- **Latency at a steady offered load** (open loop) is how Slack's users load an app: they
  do not wait for each other. Each request is due at its time whatever the answers, and its
  latency counts from then, so a backlog counts against the app. Every app gets the same
  load, far above a school's busiest minute (a few commands a second) and below what the
  two cores can serve.
- **Latency in a closed loop**: each client sends its next request as soon as the last is
  answered, so each app is driven to as much as it can serve. The bare app's threads sleep
  through their 10 ms polls: it never fills the two cores, and stays at its floor. Rounds
  never sleeps: it serves more, and runs the two cores full, shared with the load generator
  (one Python process), gunicorn and, on PostgreSQL, the database server. A request then
  waits behind the others, and the ratio to the bare app follows what each request costs the
  whole machine, not how fast an answer is: Rounds reads the database and builds its blocks,
  the bare app does neither. In-request answers take turns in arrival order
  (`bot/listeners/turns.py`; the waiting threads sleep), so answers do not lose the GIL to
  each other at random: one at a time per process on SQLite, two on PostgreSQL, where one
  waits on the database server while the other computes. A request that turns out to need
  Slack first hands its turn on before it waits.
- **Planning** reads due pairs as plain rows (no ORM objects), works out each distinct
  schedule once per batch (a launch's pairs, or a downtime's, share a few rhythms, zones,
  working hours and due times; every pair different would cost about 25 µs more per pair on
  this machine), and writes a batch of up to 5,000 with one INSERT … ON CONFLICT DO NOTHING
  (the unique key dedupes) and one UPDATE of the pairs. On PostgreSQL the rows and the
  batch's IDs travel as one binary array per column (`= ANY(…)`, `unnest(…)`), so the
  statement text is the same for every batch. What is left is mostly the database writing
  rows and their index entries (the pairs table has eight indexes, and the outbox's foreign
  key is checked per row): on PostgreSQL about half of the wall time, on its own core. The
  idle passes read only due rows through indexes (`ix_pairs_state_next_prompt_at`,
  `ix_pairs_state_paused_until`, `ix_pairs_state_kick_off_at`, `ix_deliveries_status_due_at`
  and, for claims whose lease ran out, `ix_deliveries_status_lease_expires_at`), so they
  stay flat however many pairs and sent nudges exist; `tests/test_query_plans.py` checks
  every idle-pass statement's SQLite plan, with and without statistics.
- **Delivery at Slack's limits** is bound by the limits: a live pass spaces posts to a channel
  a second apart and, after a second 429 on another channel, holds every post for
  Retry-After. The ideal time is a sender with no latency against the same token buckets.
- **Welcomes** are bound by conversations.open: a live pass spaces openings by what it
  learned from Slack's refusals, and after one refusal holds every opening for Retry-After,
  spending no attempt. Slack's Tier 3 is about 50 a minute: the 500 welcomes of a large
  import take about eleven minutes at the import's 45 a minute, which this run does not wait
  for; the ratio is what carries over.
- **CPU per nudge** is bound by the worker's Python: claims come 50 at a time with their
  pairs, members and goals in three statements; the decisions and the in-doubt marks commit
  together before any post, and the batch's outcomes and follow-ups commit together after
  them. Most of what remains is building and sending the HTTP request to Slack.
- **Patient-information guard** accuracy does not depend on the database. Recall is the share
  of sentences with a patient identifier that the guard flags; the false-alarm rate is the
  share of everyday sentences it flags. The set mixes check-in updates, goals, request notes
  and thank-you notes; 40 of its sentences were written after the guard and scored unseen.
- **Memory** is the high-water mark (VmHWM) of the worker while it plans and sends 10% of the
  pairs' prompts, and of one gunicorn worker after the latency load.
- **Program tools**: a dry run with many addresses reads the workspace's directory
  (users.list, 200 people a call) instead of one users.lookupByEmail per address (Tier 3,
  about 50 a minute: two thousand of them would take Slack 40 minutes); only addresses not in
  the directory are looked up one by one. The rest is reading the file and checking every
  line against the database. The Home tab reads counts per reason and only the most urgent
  rows, so it stays inside 100 blocks at any size.
"""


def render(
    all_results: list[Results],
    *,
    scale: Scale,
    scale_name: str,
    seconds: float,
    speeds: tuple[MachineSpeed, MachineSpeed],
    trees: list[Tree],
    baseline: str | None,
    phi: PhiRow | None = None,
) -> str:
    compared = [tree.label for tree in trees if not tree.is_current]
    command = "python -m bench" + (f" --baseline {baseline}" if baseline else "")
    lines = [
        "# Performance",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `{command}` (scale: {scale_name}, "
        f"{seconds / 60:.1f} minutes"
        + (f"; rows marked “{compared[0]}” ran that commit in the same run" if compared else "")
        + ").",
        f"Machine: {os.cpu_count()} cores, {_memory_gib():.0f} GiB, {platform.platform()}, "
        f"Python {platform.python_version()}; shared with other work while measured.",
        render_speed("Before the run", speeds[0]),
        render_speed("After the run", speeds[1]),
        "The load generator, the fake Slack and the servers share the machine.",
    ]
    for results in all_results:
        lines.append(f"\n## {results.backend}\n")
        if results.latency:
            lines += render_latency(results.latency)
        if results.planning:
            lines += render_planning(results.planning)
        if results.pacing:
            lines += render_pacing(results.pacing, scale.pacing_limits)
        if results.cpu:
            lines += render_cpu(results.cpu, speeds[0])
        if results.welcomes:
            lines += render_welcomes(results.welcomes, scale.welcome_limits)
        if results.memory:
            lines += render_memory(results.memory)
        if results.program:
            lines += render_program(results.program)
    if phi is not None:
        lines.append("\n## Either database\n")
        lines += render_phi(phi)
    return "\n".join(lines) + "\n" + READING


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


@contextmanager
def _trees(baseline: str | None) -> Iterator[list[Tree]]:
    with ExitStack() as stack:
        trees = [stack.enter_context(exported(baseline))] if baseline else []
        yield [*trees, CURRENT]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--only", default="latency,planning,delivery,memory,program,phi")
    parser.add_argument(
        "--baseline", default=None, help="also measure this commit or branch (e.g. main)"
    )
    parser.add_argument(
        "--write",
        default=None,
        help="Markdown file (default: docs/PERFORMANCE.md for a full run of every benchmark)",
    )
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    only = set(args.only.split(","))
    speed_before = measure_machine()
    started = time.monotonic()
    phi = measure_phi() if "phi" in only else None
    fake = FakeSlack().start()
    try:
        with _trees(args.baseline) as trees:
            all_results = [
                run_backend(backend, scale, fake, only=only, trees=trees)
                for backend in args.backends.split(",")
            ]
    finally:
        fake.stop()
    seconds = time.monotonic() - started
    report = render(
        all_results,
        scale=scale,
        scale_name=args.scale,
        seconds=seconds,
        speeds=(speed_before, measure_machine()),
        trees=trees,
        baseline=args.baseline,
        phi=phi,
    )
    print(report)
    # Only a full run of everything rewrites the committed report; `--only phi` just prints.
    every = {"latency", "planning", "delivery", "memory", "program", "phi"} <= only
    target = args.write or ("docs/PERFORMANCE.md" if args.scale == "full" and every else None)
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(report)
        print(f"written to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
