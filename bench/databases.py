"""A throwaway, migrated database per benchmark run, on SQLite or PostgreSQL."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.trees import CURRENT, Tree, migrate
from bot.config import normalize_database_url
from bot.store.db import make_engine
from bot.store.migrate import upgrade_to_head

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    return normalize_database_url(
        os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES
    )


_numbers = itertools.count(1)


@contextmanager
def fresh_database(backend: str, tree: Tree = CURRENT) -> Iterator[str]:
    """Yields the URL of an empty database migrated by `tree`'s code, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rounds-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            _migrate(url, tree)
            yield url
        return
    admin_url = make_url(postgres_admin_url())
    name = f"rounds_bench_{os.getpid()}_{next(_numbers)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url, tree)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str, tree: Tree) -> None:
    if not tree.is_current:
        migrate(tree, url)
        return
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
