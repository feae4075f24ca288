"""Alembic environment: targets the models' metadata; one migrator at a time on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, Engine, text

from bot.config import database_url_from_environment
from bot.store.db import make_engine
from bot.store.models import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("engine"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# Arbitrary constant shared by every Rounds process: several web processes and workers may
# start together on one PostgreSQL, and only one of them may migrate at a time.
_MIGRATION_LOCK_KEY = 5_317_001


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only ALTER by copying the table
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Batch mode changes a SQLite table by copying it and dropping the original; with
    foreign keys enforced, that drop would cascade into every child row (goals, check-ins,
    deliveries of a copied `pairs`). SQLite honours the pragma only outside a transaction,
    so it is set on the driver connection before the migration's transaction begins; the
    migration checks the keys itself before committing (see _run)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if connection.in_transaction():  # a failed migration: undo it, then re-enable
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owns_engine = engine is None
    if engine is None:
        engine = make_engine(database_url_from_environment())
    try:
        with engine.connect() as connection, _sqlite_foreign_keys_off(connection):
            _run(connection)
            connection.commit()
    finally:
        if owns_engine:
            engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=database_url_from_environment(), target_metadata=Base.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
