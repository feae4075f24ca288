"""The Procfile's web process: gunicorn with bot.gunicorn_conf, as a platform runs it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from sandbox.fake_slack import FakeSlack
from tests.processes import REPO, RoundsProcess, clean_environment, free_port
from tests.slack_requests import SIGNING_SECRET, SlackSender, get

pytestmark = pytest.mark.slow

PROCFILE_WEB = (REPO / "Procfile").read_text().splitlines()[0]


def _gunicorn(env: dict[str, str], cwd: Path) -> RoundsProcess:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return RoundsProcess(
        [gunicorn, "-c", "python:bot.gunicorn_conf", "bot.wsgi:app"], env=env, cwd=cwd
    )


def test_the_procfile_runs_gunicorn_with_the_rounds_settings() -> None:
    """The settings module reads WEB_CONCURRENCY and PORT (from .env too); a --workers or
    --bind on the command line would override them."""
    assert PROCFILE_WEB == "web: gunicorn -c python:bot.gunicorn_conf bot.wsgi:app"


def test_gunicorn_serves_logs_paths_without_queries_adds_up_metrics_and_stops_with_0(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_environment(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_APP_TOKEN="xapp-1-A0ROUNDS-1-abcdef",  # shared .env: changes nothing here
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        LOG_FORMAT="json",
    )
    del env["PORT"], env["WEB_CONCURRENCY"]  # from the .env where it runs, as on a server
    (tmp_path / ".env").write_text(f"PORT={port}\nWEB_CONCURRENCY=3\n")
    web = _gunicorn(env, tmp_path)
    try:
        web.wait_for_log(r"Booting worker")
        base = f"http://127.0.0.1:{port}"
        web.wait_for_log(r"Listening at")
        reply = None
        for _ in range(100):  # the workers import the app after the master listens
            reply = get(f"{base}/healthz?code=SECRET-OAUTH-CODE")
            if reply.status == 200:
                break
        assert reply is not None and reply.status == 200
        sender = SlackSender(base, fake_slack)
        for _ in range(4):
            assert sender.command("/goal", "list", user="U0GUNI")[0].status == 200
        metrics = get(f"{base}/metrics").text
        counted = re.search(r'rounds_command_ack_seconds_count\{command="/goal"\} (\S+)', metrics)
        assert counted is not None and float(counted.group(1)) == 4  # from every worker
        status = web.terminate()
    finally:
        web.kill()
    assert status == 0
    assert web.log.count("Booting worker") == 3
    access = [line for line in web.lines if "GET /healthz" in line]
    assert access, web.log
    assert "SECRET-OAUTH-CODE" not in web.log
    records = [json.loads(line) for line in web.lines if line.strip()]  # one JSON object a line
    assert {"gunicorn.access", "gunicorn.error"} <= {record["logger"] for record in records}


def test_gunicorn_without_a_signing_secret_exits_2_before_any_worker(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = clean_environment(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_APP_TOKEN="xapp-1-A0ROUNDS-1-abcdef",
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'rounds.db'}",
        PORT=str(free_port()),
    )
    web = _gunicorn(env, tmp_path)
    try:
        status = web.process.wait(60)
    finally:
        web.kill()
    assert status == 2
    assert "SLACK_SIGNING_SECRET is not set" in web.log
    assert "Booting worker" not in web.log
