"""One read statement run straight through the database driver, for answers given inside
Slack's request (bot.store.overview).

SQLAlchemy writes the SQL, once per statement and database: the statement is still built
with SQLAlchemy and its column types still convert every value, in and out. Running it is
what skips SQLAlchemy: no cache key worked out, no result metadata, no transaction begun or
reset. On PostgreSQL a read took about a quarter of the CPU that way (docs/PERFORMANCE.md).

The connection comes from the engine's pool, outside any transaction: the one statement
sees one snapshot by itself. When the server turns out to have dropped it, it is thrown away
with the pool's idle ones, and the caller hears `ReadFailedError` and can take the ordinary
path instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.expression import CompoundSelect, Select

Statement = Select[Any] | CompoundSelect[Any]
Row = tuple[Any, ...]


class ReadFailedError(Exception):
    """The driver could not run the read (a broken connection, a restarted server)."""


@dataclass(frozen=True)
class _Prepared:
    sql: str
    # pysqlite takes parameters by position, psycopg by name.
    positions: tuple[str, ...] | None
    bound: dict[str, Any]  # the statement's own parameters, already converted
    converters: dict[str, Callable[[Any], Any]]  # for the caller's parameters
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # column index, converter

    def arguments(self, params: Mapping[str, Any]) -> Mapping[str, Any] | tuple[Any, ...]:
        merged = dict(self.bound)
        for name, value in params.items():
            convert = self.converters.get(name)
            merged[name] = convert(value) if convert is not None and value is not None else value
        if self.positions is None:
            return merged
        return tuple(merged[name] for name in self.positions)

    def converted(self, rows: Sequence[Row]) -> list[Row]:
        if not self.results:
            return list(rows)
        out = []
        for row in rows:
            values = list(row)
            for index, convert in self.results:
                if values[index] is not None:
                    values[index] = convert(values[index])
            out.append(tuple(values))
        return out


# By the statement's identity: statements are built once, at import (bot.store.overview).
# Each entry keeps its statement, so an id is never reused for another while it is here.
_prepared: dict[tuple[int, str], tuple[Statement, _Prepared]] = {}
_preparing = threading.Lock()


def _prepare(statement: Statement, dialect: Dialect) -> _Prepared:
    compiled = statement.compile(dialect=dialect)
    bound: dict[str, Any] = {}
    converters: dict[str, Callable[[Any], Any]] = {}
    for name, bind in compiled.binds.items():
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            if convert is not None:
                converters[name] = convert  # the caller's parameter
            continue
        value = bind.effective_value
        bound[name] = convert(value) if convert is not None and value is not None else value
    results = []
    for index, column in enumerate(statement.selected_columns):
        convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if convert is not None:
            results.append((index, convert))
    return _Prepared(
        sql=compiled.string,
        positions=tuple(compiled.positiontup or ()) if compiled.positional else None,
        bound=bound,
        converters=converters,
        results=tuple(results),
    )


def _prepared_for(statement: Statement, dialect: Dialect) -> _Prepared:
    key = (id(statement), dialect.name)
    found = _prepared.get(key)
    if found is None or found[0] is not statement:
        with _preparing:
            found = _prepared[key] = (statement, _prepare(statement, dialect))
    return found[1]


def fetch_all(engine: Engine, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
    """Every row of `statement` with `params`, each value converted by its column's type, as
    SQLAlchemy would have returned it."""
    prepared = _prepared_for(statement, engine.dialect)
    arguments = prepared.arguments(params)
    postgres = engine.dialect.name == "postgresql"
    pooled = engine.raw_connection()
    driver: Any = pooled.driver_connection
    try:
        if postgres:
            # Outside a transaction: no BEGIN, and nothing to roll back on return to the pool.
            driver.autocommit = True
            try:
                rows = driver.execute(prepared.sql, arguments, prepare=True).fetchall()
            finally:
                driver.autocommit = False
        else:
            # pysqlite here runs in autocommit mode (bot.store.db), a SELECT on its own.
            cursor = driver.cursor()
            try:
                rows = cursor.execute(prepared.sql, arguments).fetchall()
            finally:
                cursor.close()
    except engine.dialect.loaded_dbapi.Error as error:
        if engine.dialect.is_disconnect(error, driver, None) or getattr(driver, "closed", False):
            # As SQLAlchemy does on a disconnect: the server likely dropped the idle ones too.
            pooled.invalidate(error)
            engine.pool.dispose()
        raise ReadFailedError(str(error)) from error
    finally:
        pooled.close()
    return prepared.converted(rows)
