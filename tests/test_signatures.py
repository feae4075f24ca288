"""Every HTTP entry point verifies Slack's signature, whatever else is set (issue 8, item 1).

`gunicorn bot.wsgi:app` once skipped verification when SLACK_APP_TOKEN was also set (a `.env`
shared with the worker is enough): anyone could then act as any user, coordinators included,
and pick the response_url that receives the answer.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.http_server import HttpServer
from bot.store.models import Pair
from sandbox.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET, Reply, command_body, post, sign

REPO = Path(__file__).resolve().parents[1]
APP_TOKEN = "xapp-1-A0ROUNDS-1-abcdef"


def _post_unsigned(url: str, body: bytes) -> Reply:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read(), time.perf_counter() - started)
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read(), time.perf_counter() - started)


def _send_not_signed_by_slack(url: str, body: bytes, how: str) -> Reply:
    """`body` unsigned, signed with another secret (forged), or with a timestamp more than
    five minutes off (stale, from the future)."""
    if how == "unsigned":
        return _post_unsigned(url, body)
    now = int(time.time())
    timestamp = {"forged": now, "stale": now - 6 * 60, "from the future": now + 6 * 60}[how]
    secret = "0" * 32 if how == "forged" else SIGNING_SECRET
    return post(
        url,
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=timestamp,
        signature=sign(body, timestamp=timestamp, secret=secret),
    )


@pytest.fixture
def wsgi_url(
    database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """`bot.wsgi:app` imported exactly as gunicorn imports it, with an app token in the
    environment as a `.env` shared with the worker would put it there."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_URL": database_url,
        "ROUNDS_COORDINATORS": "UCOORD",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "bot.wsgi", raising=False)
    wsgi: Any = importlib.import_module("bot.wsgi")
    server = HttpServer(wsgi.app, host="127.0.0.1", port=0).start()
    yield f"http://127.0.0.1:{server.port}/slack/events"
    server.stop(timeout=5)
    sys.modules.pop("bot.wsgi", None)


def _coordinator_pairs(fake_slack: FakeSlack) -> bytes:
    """What an attacker sends: a coordinator's command, answered at a URL of their choice."""
    return command_body(
        "/mentor",
        "pair <@U0MENTEE> <@U0MENTOR>",
        user="UCOORD",
        response_url=fake_slack.new_response_url(),
    )


def _pairs(database_url: str) -> int:
    from bot.store.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(Pair)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("how", ["unsigned", "forged", "stale", "from the future"])
def test_wsgi_app_refuses_requests_not_signed_by_slack_even_with_an_app_token(
    wsgi_url: str, fake_slack: FakeSlack, database_url: str, how: str
) -> None:
    reply = _send_not_signed_by_slack(wsgi_url, _coordinator_pairs(fake_slack), how)
    assert reply.status == 401, how
    time.sleep(0.3)  # a wrongly accepted command would be acting in the listener pool now
    assert _pairs(database_url) == 0
    assert fake_slack.response_url_posts() == []
    # Bolt's start-up auth.test is the only Web API call; the command never ran.
    assert [call.method for call in fake_slack.calls] == ["auth.test"]


def test_wsgi_app_still_serves_requests_slack_signed(
    wsgi_url: str, fake_slack: FakeSlack, database_url: str
) -> None:
    """The other side of the test above: the same request, signed, is acted on."""
    reply = post(
        wsgi_url, _coordinator_pairs(fake_slack), content_type="application/x-www-form-urlencoded"
    )
    assert reply.status == 200
    fake_slack.wait_for("conversations.open")
    assert _pairs(database_url) == 1


@pytest.mark.parametrize("how", ["unsigned", "forged", "stale"])
def test_a_read_only_command_answered_within_the_request_is_verified_too(
    wsgi_url: str, fake_slack: FakeSlack, how: str
) -> None:
    """`/checkin status` takes its turn before Bolt runs (bot.web); Bolt still refuses it
    unsigned, and nothing about anyone is read out."""
    body = command_body(
        "/checkin", "status", user="UCOORD", response_url=fake_slack.new_response_url()
    )
    assert _send_not_signed_by_slack(wsgi_url, body, how).status == 401, how
    # And the turn was handed on: the same request, signed, is answered at once.
    signed = post(wsgi_url, body, content_type="application/x-www-form-urlencoded")
    assert signed.status == 200 and signed.json.get("text") is not None


def _clean_environment() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    return {key: value for key, value in os.environ.items() if key in keep}


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([sys.executable, "-c", "import bot.wsgi"], id="bot.wsgi with an app token"),
        pytest.param([sys.executable, "-m", "bot"], id="python -m bot without an app token"),
    ],
)
def test_serving_http_without_a_signing_secret_is_a_config_error(
    argv: list[str], tmp_path: Path
) -> None:
    env = _clean_environment() | {
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'rounds.db'}",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # nothing listens: never reach Slack
    }
    if "bot.wsgi" in argv[-1]:
        env["SLACK_APP_TOKEN"] = APP_TOKEN
    result = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_gunicorn_without_a_signing_secret_stops_instead_of_rebooting_workers(
    tmp_path: Path,
) -> None:
    """gunicorn would boot a worker that exits 2 again every second, forever."""
    env = _clean_environment() | {
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'rounds.db'}",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(
        [str(gunicorn), "bot.wsgi:app", "--bind", "127.0.0.1:0", "--workers", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr
    assert result.stderr.count("Booting worker") == 1
