"""Assembly of one Rounds process: settings → database (migrated) → Bolt app."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_bolt import App
from sqlalchemy import Engine

from bot.app import build_app, make_listener_executor
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging as configure_logging
from bot.logs import report_config_error
from bot.store.db import (
    SessionFactory,
    make_engine,
    make_read_session_factory,
    make_session_factory,
)
from bot.store.migrate import upgrade_to_head

CONFIG_ERROR_EXIT_STATUS = 2


@dataclass
class Database:
    engine: Engine
    sessions: SessionFactory
    read_sessions: SessionFactory


@dataclass
class Service:
    settings: Settings
    database: Database
    app: App
    # Where Bolt runs listeners after the ack; a stopping process waits for it.
    listeners: ThreadPoolExecutor | None = None


def settings_or_exit(*, require_signing_secret: bool = True, http_only: bool = False) -> Settings:
    """Load settings; on a bad one print its paragraph and exit 2 — no stack trace."""
    try:
        return load_settings(require_signing_secret=require_signing_secret, http_only=http_only)
    except ConfigError as problem:
        report_config_error(problem)
        raise SystemExit(CONFIG_ERROR_EXIT_STATUS) from None


def open_database(url: str, *, migrate: bool = True) -> Database:
    engine = make_engine(url)
    if migrate:
        upgrade_to_head(engine)
    return Database(
        engine=engine,
        sessions=make_session_factory(engine),
        read_sessions=make_read_session_factory(engine),
    )


def build_service(settings: Settings, *, migrate: bool = True) -> Service:
    database = open_database(settings.database_url, migrate=migrate)
    listeners = make_listener_executor()
    app = build_app(
        settings,
        database.sessions,
        read_sessions=database.read_sessions,
        listener_executor=listeners,
    )
    return Service(settings=settings, database=database, app=app, listeners=listeners)
