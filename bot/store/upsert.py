"""INSERT … ON CONFLICT DO NOTHING for the two dialects Rounds runs on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.store.models import Base


def insert_ignoring_duplicates(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """Insert a row unless a unique key already has it; True when this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: drivers disagree on rowcount for a skipped conflicting row.
    primary_key = next(iter(model.__mapper__.primary_key))
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(primary_key)
    return session.execute(statement).first() is not None


def insert_many_ignoring_duplicates(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]]
) -> int:
    """Insert every row a unique key does not already hold, in one statement; how many went
    in. Every row names the same columns. On PostgreSQL the rows travel as one array per
    column (INSERT … SELECT FROM unnest(…)): a VALUES list of thousands of rows costs more
    to build and parse than to insert. SQLite takes the VALUES list."""
    if not rows:
        return 0
    table = cast(Table, model.__table__)  # a Core statement: no ORM bookkeeping per row
    primary_key = next(iter(table.primary_key.columns))
    if session.get_bind().dialect.name == "postgresql":
        names = list(rows[0])
        arrays = [
            sql_cast(
                bindparam(f"rows_{name}", [row[name] for row in rows]),
                postgresql.ARRAY(table.c[name].type),
            )
            for name in names
        ]
        source = select(func.unnest(*arrays).table_valued(*names).render_derived())
        statement = (
            postgresql.insert(table)
            .from_select(names, source)
            .on_conflict_do_nothing()
            .returning(primary_key)
        )
        return len(session.execute(statement).all())
    many = sqlite.insert(table).on_conflict_do_nothing().returning(primary_key)
    return len(session.execute(many, list(rows)).all())
