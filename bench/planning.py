"""Cost of the worker's passes as the number of pairs grows: the planner and the dispatcher
with nothing due, and a planner pass with a tenth of the pairs due (a launch, or an outage).
The outbox holds one sent prompt per pair, as after a program has run a while."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bench.databases import fresh_database
from bench.seed import seed_history, seed_pairs
from bench.servers import environment
from bench.trees import Tree, run_script
from bot.store.db import make_engine


@dataclass(frozen=True)
class PlanningRow:
    pairs: int
    idle_plan_ms: float
    idle_dispatch_ms: float
    busy_ms: float
    busy_cpu_ms: float
    busy_db_cpu_ms: float
    planned: int


def measure_planning(
    *, backend: str, sizes: tuple[int, ...], now: datetime, tree: Tree, api_url: str
) -> list[PlanningRow]:
    rows = []
    with fresh_database(backend, tree) as url:
        engine = make_engine(url)
        seeded = 0
        for size in sizes:
            seed_pairs(engine, count=size - seeded, start=seeded, now=now)
            seed_history(engine, now=now, after_pair_id=seeded)
            seeded = size
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
            env = environment(database_url=url, api_url=api_url, tree=tree)
            out = json.loads(
                run_script(tree, "planning_pass.py", [url, now.isoformat()], env).splitlines()[-1]
            )
            rows.append(
                PlanningRow(
                    pairs=size,
                    idle_plan_ms=out["idle_plan_ms"],
                    idle_dispatch_ms=out["idle_dispatch_ms"],
                    busy_ms=out["busy_ms"],
                    busy_cpu_ms=out["busy_cpu_ms"],
                    busy_db_cpu_ms=out["busy_db_cpu_ms"],
                    planned=int(out["planned"]),
                )
            )
        engine.dispose()
    return rows
