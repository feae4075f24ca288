"""The one engine per process, and the sessions made from it."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]
READ_ONLY_OPTION = "rounds_read_only"
# A pooled connection used this recently is not pinged before its next use.
TRUSTED_FOR_SECONDS = 5.0
_LAST_USED = "rounds_last_used"


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
    ping = kwargs.pop("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, **kwargs)
    if ping:
        _ping_connections_idle_a_while(engine)
    if engine.dialect.name == "postgresql":
        _send_arrays_in_binary(engine)
    return engine


def _ping_connections_idle_a_while(engine: Engine) -> None:
    """SQLAlchemy's pool_pre_ping, for connections that have sat in the pool a while. Under
    load every checkout would otherwise pay a round trip to the server (`SELECT 1`) before
    its statement; a connection back from use a moment ago is as good as a pinged one. One
    the server has dropped meanwhile fails its next statement, which SQLAlchemy reports as a
    disconnect and replaces, as it would after a ping."""

    def now_used(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    event.listen(engine, "connect", now_used)
    event.listen(engine, "checkin", now_used)

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < TRUSTED_FOR_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            # Most likely the server restarted: the pool's older connections are gone too.
            raise InvalidatePoolError("the pooled connection did not answer a ping")


def _send_arrays_in_binary(engine: Engine) -> None:
    """Bulk statements pass their rows as one array per column (bot.store.upsert,
    bot.store.planning): psycopg sends Python lists as text by default, which it takes as long
    to write as PostgreSQL takes to parse. In binary, a 5,000-row batch costs half."""
    from psycopg.types.array import ListBinaryDumper

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> SessionFactory:
    """Sessions for requests that only read. On SQLite they do not queue behind writers; a
    read session that does write (say, meeting a new user) may be refused under load."""
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    if engine.dialect.name == "postgresql":
        # A read-only command reads with one statement, which sees one snapshot by itself: a
        # transaction around it would only add BEGIN and COMMIT round trips.
        options["isolation_level"] = "AUTOCOMMIT"
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False)


def engine_of(session: Session) -> Engine:
    """The engine a session's statements go to."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


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
