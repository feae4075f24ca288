"""`column IN (ids)` for a batch of IDs, in the form each database takes best.

SQLAlchemy renders a Python list as one placeholder per ID, so a batch of 5,000 makes a new
statement text every time: SQLAlchemy builds it, psycopg parses it, PostgreSQL plans it. On
PostgreSQL the list travels instead as one array parameter (`= ANY(…)`), the same text for
any batch, read through the primary key or whatever index the column has."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import QueryableAttribute, Session


def among(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], ids: Collection[Any]
) -> ColumnElement[bool]:
    values = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        array = sql_cast(bindparam(None, values, unique=True), ARRAY(column.type))
        return column == any_(array)
    return column.in_(values)
