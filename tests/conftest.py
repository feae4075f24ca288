"""Shared fixtures: a fake Slack, an isolated database per test, and the real HTTP app."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import build_app, make_listener_executor
from bot.config import Settings, normalize_database_url
from bot.http_server import HttpServer
from bot.service import Database, Service
from bot.store.db import make_engine, make_read_session_factory, make_session_factory
from bot.store.migrate import upgrade_to_head
from bot.store.models import Base
from bot.web import make_wsgi_app
from jobs.dispatcher import Dispatcher
from jobs.runtime import make_dispatcher
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.slack_requests import SIGNING_SECRET, SlackSender

# OAuth mode's fixtures: Rounds serving several schools (tests/schools.py).
pytest_plugins = ["tests.schools"]

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _skip_browser_tests_without_chromium(items)
    if POSTGRES_URL:
        return
    if os.environ.get("ROUNDS_REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError("ROUNDS_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
    skip = pytest.mark.skip(reason="TEST_POSTGRES_URL is not set")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _skip_browser_tests_without_chromium(items: list[pytest.Item]) -> None:
    missing = [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    if not missing or not any("browser" in item.keywords for item in items):
        return
    reason = (
        f"{' and '.join(missing)} not found: the browser tests use Debian's chromium "
        "(apt-get install chromium chromium-driver)"
    )
    if os.environ.get("ROUNDS_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"ROUNDS_REQUIRE_BROWSER=1 but {reason}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


# --- Slack -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _fake_slack_server() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def fake_slack(_fake_slack_server: FakeSlack) -> FakeSlack:
    _fake_slack_server.reset()
    return _fake_slack_server


# --- Databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file, which is much faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "rounds.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()  # the last connection to close folds the WAL into the file
    return path


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    """A database of our own on the test server, migrated once, emptied after each test."""
    admin_url = make_url(normalize_database_url(POSTGRES_URL))
    name = f"rounds_test_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "rounds.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("_postgres_url")
    _empty_postgres(url)
    yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url)
    yield Database(
        engine=engine,
        sessions=make_session_factory(engine),
        read_sessions=make_read_session_factory(engine),
    )
    engine.dispose()


# --- The app ---------------------------------------------------------------------------------


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        database_url=database_url,
        port=0,
        coordinators=frozenset({"UCOORD"}),
        scheduler_enabled=False,
    )


@pytest.fixture
def service(settings: Settings, database: Database) -> Iterator[Service]:
    listeners = make_listener_executor()
    app = build_app(
        settings,
        database.sessions,
        read_sessions=database.read_sessions,
        listener_executor=listeners,
    )
    yield Service(settings=settings, database=database, app=app, listeners=listeners)
    # Work a listener goes on with after its ack (a Home tab refresh, say) belongs to this
    # test; left running, it would reach the fake Slack during the next one.
    listeners.shutdown(wait=True)


@pytest.fixture
def http_url(service: Service) -> Iterator[str]:
    """The real WSGI app on the server `python -m bot` runs, on an ephemeral port."""
    app = make_wsgi_app(service.app, service.database.engine)
    server = HttpServer(app, host="127.0.0.1", port=0).start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop(timeout=5)


@pytest.fixture
def slack(http_url: str, fake_slack: FakeSlack) -> SlackSender:
    return SlackSender(http_url, fake_slack)


# --- The nudge engine ------------------------------------------------------------------------

NUDGE_MENTEE, NUDGE_MENTOR, NUDGE_SPACE = "U0STUDENT", "U0MENTOR", "G0SPACE"
# Tuesday 5 January 2027, 10:00 in New York; the first prompt is due two weeks later.
NUDGE_START = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def dispatcher(settings: Settings, database: Database) -> Dispatcher:
    return make_dispatcher(settings, database.sessions)


@pytest.fixture
def pair_id(database: Database, fake_slack: FakeSlack) -> int:
    """An active pair (both in New York) with its check-in space open, started NUDGE_START,
    its kick-off behind it (tests of the kick-off make their own pairs)."""
    fake_slack.add_channel(NUDGE_SPACE, members=[NUDGE_MENTEE, NUDGE_MENTOR])
    return make_pair(
        database,
        mentee=NUDGE_MENTEE,
        mentor=NUDGE_MENTOR,
        now=NUDGE_START,
        channel=NUDGE_SPACE,
        kick_off_behind_it=True,
    )
