"""Backups as docs/OPERATIONS.md tells an operator to take them, restored, and Rounds started
on the restored copy."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.service import Database
from bot.store.db import make_engine, make_read_session_factory, make_session_factory
from bot.store.migrate import upgrade_to_head
from bot.store.models import Pair
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.processes import RoundsProcess, clean_environment, free_port
from tests.slack_requests import SIGNING_SECRET, SlackSender, get

MENTEE, MENTOR = "U0BACKUPE", "U0BACKUPR"


def _python_backup(source: Path, target: Path) -> None:
    """sqlite3's online backup API: what `sqlite3 rounds.db ".backup target"` runs."""
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)


def _vacuum_into(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as live:
        live.execute("VACUUM INTO ?", (str(target),))


def _cli_backup(source: Path, target: Path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command-line shell is not installed")
    subprocess.run(["sqlite3", str(source), f".backup '{target}'"], check=True, timeout=60)


@pytest.fixture
def live_database(tmp_path: Path) -> tuple[Path, Database]:
    """A Rounds database in use: WAL mode, with recent writes still in the -wal file."""
    path = tmp_path / "live" / "rounds.db"
    path.parent.mkdir()
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()  # the schema is folded into rounds.db; what follows stays in the WAL
    engine = make_engine(f"sqlite:///{path}")
    database = Database(
        engine=engine,
        sessions=make_session_factory(engine),
        read_sessions=make_read_session_factory(engine),
    )
    return path, database


@pytest.mark.slow
@pytest.mark.parametrize(
    "backup",
    [_cli_backup, _python_backup, _vacuum_into],
    ids=["sqlite3 .backup", "backup API", "VACUUM INTO"],
)
def test_a_sqlite_backup_restores_and_rounds_starts_on_it(
    live_database: tuple[Path, Database],
    backup: Callable[[Path, Path], None],
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    path, database = live_database
    with database.engine.connect():  # Rounds is running: a connection holds the WAL open
        make_pair(database, mentee=MENTEE, mentor=MENTOR)
        assert Path(f"{path}-wal").stat().st_size > 0  # the pair is (also) in the WAL
        backup(path, tmp_path / "rounds-backup.db")
    database.engine.dispose()

    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(tmp_path / "rounds-backup.db", restored / "rounds.db")
    port = free_port()
    env = clean_environment(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        PORT=str(port),
        ROUNDS_SCHEDULER="off",
    )
    bot = RoundsProcess.python("-m", "bot", env=env, cwd=restored)  # default: ./rounds.db
    try:
        bot.wait_for_log(r"listening on http://0\.0\.0\.0:\d+/slack/events")
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/healthz").status == 200
        reply, _ = SlackSender(base, fake_slack).command("/mentor", "list", user=MENTEE)
        assert f"<@{MENTOR}>" in reply.text  # the pair came back with the backup
        assert bot.terminate() == 0
    finally:
        bot.kill()


def test_copying_the_file_of_a_database_in_use_can_lose_recent_writes(
    live_database: tuple[Path, Database], tmp_path: Path
) -> None:
    """Why the guide says never to `cp rounds.db`: the newest writes live in rounds.db-wal."""
    path, database = live_database
    with database.engine.connect():
        make_pair(database, mentee=MENTEE, mentor=MENTOR)
        shutil.copy(path, tmp_path / "copied.db")
        _python_backup(path, tmp_path / "backed-up.db")
    database.engine.dispose()

    def pairs(file: Path) -> int:
        engine = make_engine(f"sqlite:///{file}")
        try:
            with engine.connect() as connection:
                return int(connection.execute(select(func.count()).select_from(Pair)).scalar_one())
        finally:
            engine.dispose()

    assert pairs(tmp_path / "backed-up.db") == 1
    assert pairs(tmp_path / "copied.db") == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_a_pg_dump_restores_and_rounds_starts_on_it(
    database_url: str, database: Database, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql") or shutil.which("pg_dump") is None:
        pytest.skip("needs PostgreSQL and pg_dump")
    make_pair(database, mentee=MENTEE, mentor=MENTOR)
    source = make_url(database_url).set(drivername="postgresql")
    dump = tmp_path / "rounds.dump"
    libpq = source.render_as_string(hide_password=False)
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq], check=True, timeout=120)

    restored_name = f"{source.database}_restored"
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{restored_name}"'))
        connection.execute(text(f'CREATE DATABASE "{restored_name}"'))
    restored = source.set(database=restored_name).render_as_string(hide_password=False)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={restored}", str(dump)],
            check=True,
            timeout=120,
        )
        port = free_port()
        env = clean_environment(
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake_slack.api_url,
            DATABASE_URL=restored,
            PORT=str(port),
            ROUNDS_SCHEDULER="off",
        )
        bot = RoundsProcess.python("-m", "bot", env=env, cwd=tmp_path)
        try:
            bot.wait_for_log(r"listening on http://0\.0\.0\.0:\d+/slack/events")
            base = f"http://127.0.0.1:{port}"
            reply, _ = SlackSender(base, fake_slack).command("/mentor", "list", user=MENTEE)
            assert f"<@{MENTOR}>" in reply.text
            assert bot.terminate() == 0
        finally:
            bot.kill()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'))
        admin.dispose()
