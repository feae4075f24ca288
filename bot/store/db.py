"""The one engine per process, and the sessions made from it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]
READ_ONLY_OPTION = "rounds_read_only"


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            # WAL readers never wait for the writer, nor for each other.
            connection.exec_driver_sql("BEGIN")
            return
        # SQLite has one writer. Taking the write lock at BEGIN makes every transaction wait
        # its turn (busy timeout) instead of failing with SQLITE_BUSY when it first writes.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        connect_args = {"timeout": 30, "check_same_thread": False}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _prepare_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> SessionFactory:
    """Sessions for requests that only read. On SQLite they do not queue behind writers; a
    read session that does write (say, meeting a new user) may be refused under load."""
    return sessionmaker(
        engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
    )


def read_sessions_like(sessions: SessionFactory) -> SessionFactory:
    """Read sessions on the same engine as `sessions`."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        return sessions
    return make_read_session_factory(bind)


def database_is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
