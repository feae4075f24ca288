"""SQL functions both databases answer, under one name (SQLite lacks least() and greatest())."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class least(FunctionElement[int]):  # noqa: N801 — named like the SQL function it renders
    """The smaller of two values: least() on PostgreSQL, two-argument min() on SQLite."""

    type = Integer()
    inherit_cache = True


class greatest(FunctionElement[int]):  # noqa: N801
    """The larger of two values: greatest() on PostgreSQL, two-argument max() on SQLite."""

    type = Integer()
    inherit_cache = True


@compiles(least)
def _least(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"least({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(greatest)
def _greatest(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"
