"""A pooled PostgreSQL connection is pinged before use only when it has sat idle a while
(bot.store.db): under load, a `SELECT 1` round trip before every statement is pure cost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from bot.store import db
from bot.store.db import make_engine

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        seen.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _drop_every_connection(database_url: str) -> None:
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(engine: Engine, pings: list[Any]) -> None:
    first = _backend(engine)
    assert [_backend(engine) for _ in range(5)] == [first] * 5
    assert pings == []


def test_one_idle_longer_than_that_is_pinged_once_per_use(
    engine: Engine, pings: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _backend(engine)
    monkeypatch.setattr(db, "TRUSTED_FOR_SECONDS", 0.0)
    _backend(engine)
    _backend(engine)
    assert len(pings) == 2


def test_one_the_server_dropped_while_idle_is_replaced_before_use_with_the_others(
    engine: Engine, pings: list[Any], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ExitStack() as several:  # the pool keeps three connections
        before = {
            several.enter_context(engine.connect())
            .execute(text("SELECT pg_backend_pid()"))
            .scalar_one()
            for _ in range(3)
        }
    _drop_every_connection(database_url)
    monkeypatch.setattr(db, "TRUSTED_FOR_SECONDS", 0.0)
    after = _backend(engine)  # no error: the ping found it dead and the pool reconnected
    assert after not in before and pings[0].closed  # the ping met the dropped one
    with ExitStack() as several:  # and the two others were not handed out again
        again = {
            several.enter_context(engine.connect())
            .execute(text("SELECT pg_backend_pid()"))
            .scalar_one()
            for _ in range(3)
        }
    assert not again & before
    assert sum(ping.closed for ping in pings) == 1  # one ping found out for the whole pool


def test_one_dropped_within_the_trusted_moment_fails_one_statement_then_is_replaced(
    engine: Engine, database_url: str
) -> None:
    """The price of not pinging: the statement finds out, SQLAlchemy reports a disconnect
    (the caller's error path: a user is asked to try again) and the next gets a fresh one."""
    before = _backend(engine)
    _drop_every_connection(database_url)
    with pytest.raises(DBAPIError) as failure:
        _backend(engine)
    assert failure.value.connection_invalidated
    assert _backend(engine) != before
