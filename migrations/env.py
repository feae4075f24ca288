"""Alembic environment: targets the models' metadata; one migrator at a time on PostgreSQL."""

from __future__ import annotations

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


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owns_engine = engine is None
    if engine is None:
        engine = make_engine(database_url_from_environment())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds a table by copying it and dropping the original; with
                # foreign keys on, dropping `people` would cascade into every pair. SQLite
                # only changes this setting outside a transaction, so before the first one.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            try:
                _run(connection)
                connection.commit()
            finally:
                if sqlite:
                    connection.rollback()  # nothing open: the pragma needs no transaction
                    connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
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
