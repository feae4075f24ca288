"""The schema comes from Alembic migrations, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.service import Database
from bot.store.db import make_engine
from bot.store.migrate import upgrade_to_head
from bot.store.models import Base


def test_autogenerate_finds_no_difference_from_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_head_twice_is_harmless(database: Database) -> None:
    upgrade_to_head(database.engine)
    assert "deliveries" in inspect(database.engine).get_table_names()


def test_constraints_follow_the_naming_convention(database: Database) -> None:
    inspector = inspect(database.engine)
    unique_names = {c["name"] for c in inspector.get_unique_constraints("deliveries")}
    assert "uq_deliveries_pair_id_kind_period" in unique_names
    foreign_names = {fk["name"] for fk in inspector.get_foreign_keys("pairs")}
    assert "fk_pairs_mentee_id_people" in foreign_names


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade_to_head(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
