"""SIGTERM stops every kind of Rounds process cleanly: no new claims, posts and requests in
flight finish, exit status 0. Real processes, real signals; the stop times are printed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.service import Database
from bot.store.models import Delivery, DeliveryKind, DeliveryStatus, Pair
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.fake_socket_mode import FakeSocketMode
from tests.processes import RoundsProcess, clean_environment, free_port
from tests.slack_requests import SIGNING_SECRET, Reply, SlackSender, get

pytestmark = pytest.mark.slow


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def environment(fake_slack: FakeSlack, database_url: str, port: int) -> dict[str, str]:
    return clean_environment(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        ROUNDS_COORDINATORS="UCOORD",
    )


@pytest.fixture
def processes() -> Iterator[list[RoundsProcess]]:
    started: list[RoundsProcess] = []
    yield started
    for process in started:
        process.kill()


def test_http_mode_answers_the_request_in_flight_then_exits_0(
    environment: dict[str, str],
    port: int,
    fake_slack: FakeSlack,
    database: Database,
    tmp_path: Path,
    processes: list[RoundsProcess],
) -> None:
    bot = RoundsProcess.python("-m", "bot", env=environment, cwd=tmp_path)
    processes.append(bot)
    bot.wait_for_log(r"listening on http://0\.0\.0\.0:\d+/slack/events")
    base = f"http://127.0.0.1:{port}"
    assert get(f"{base}/healthz").status == 200
    # The coordinator's command looks both people up before it answers: slowly, today.
    fake_slack.delay("users.info", 1.0, times=2)
    replies: list[Reply] = []
    sender = SlackSender(base, fake_slack)
    command = threading.Thread(
        target=lambda: replies.append(
            sender.command("/mentor", "pair <@U0MENTEE> <@U0MENTOR>", user="UCOORD")[0]
        )
    )
    command.start()
    fake_slack.wait_for("users.info")

    assert bot.terminate() == 0

    command.join(30)
    assert replies and replies[0].status == 200
    assert "Paired" in replies[0].text
    # The work after the answer (opening the pair's check-in space) finished too.
    assert fake_slack.calls_to("conversations.open")
    with database.sessions() as session:
        assert session.execute(select(func.count()).select_from(Pair)).scalar_one() == 1
    assert "stopped in" in bot.log


def test_socket_mode_disconnects_and_exits_0(
    environment: dict[str, str],
    port: int,
    fake_slack: FakeSlack,
    tmp_path: Path,
    processes: list[RoundsProcess],
) -> None:
    socket_mode = FakeSocketMode()
    fake_slack.socket_mode_url = socket_mode.url
    try:
        env = environment | {"SLACK_APP_TOKEN": "xapp-1-A0ROUNDS-1-abcdef"}
        del env["SLACK_SIGNING_SECRET"]  # Socket Mode does not need it
        bot = RoundsProcess.python("-m", "bot", env=env, cwd=tmp_path)
        processes.append(bot)
        socket_mode.wait_connected()
        bot.wait_for_log(r"/healthz and /metrics on http://0\.0\.0\.0:\d+")
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/healthz").status == 200
        assert "rounds_deliveries" in get(f"{base}/metrics").text
        assert get(f"{base}/slack/events").status == 404  # nothing for Slack over HTTP here
        envelope = socket_mode.send_envelope(
            "slash_commands",
            {
                "command": "/mentor",
                "text": "help",
                "user_id": "U0A",
                "team_id": "T0001",
                "channel_id": "C0A",
                "response_url": fake_slack.new_response_url(),
                "trigger_id": "1.t",
            },
        )
        ack = socket_mode.wait_for_ack(envelope)
        assert "/mentor request" in json.dumps(ack["payload"])

        assert bot.terminate() == 0

        socket_mode.wait_disconnected()
        assert "stopped in" in bot.log
    finally:
        socket_mode.stop()


def _due_prompts(database: Database, fake_slack: FakeSlack, count: int) -> list[int]:
    """`count` active pairs whose check-in prompt is due now."""
    now = datetime.now(UTC)
    ids = []
    for number in range(count):
        channel = f"G0STOP{number}"
        fake_slack.add_channel(channel, members=[f"U0STE{number}", f"U0STR{number}"])
        pair_id = make_pair(
            database,
            mentee=f"U0STE{number}",
            mentor=f"U0STR{number}",
            now=now - timedelta(days=30),
            channel=channel,
        )
        with database.sessions.begin() as session:
            delivery = Delivery(
                pair_id=pair_id,
                kind=DeliveryKind.PROMPT,
                period=f"stop-{number}",
                status=DeliveryStatus.SCHEDULED,
                due_at=now - timedelta(seconds=1),
                created_at=now,
                attempts=0,
                in_doubt=False,
            )
            session.add(delivery)
            session.flush()
            ids.append(delivery.id)
    return ids


def _prompts(database: Database, ids: list[int]) -> list[Delivery]:
    with database.sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.id.in_(ids))))


def test_the_worker_finishes_posts_in_flight_gives_back_the_rest_and_exits_0(
    environment: dict[str, str],
    port: int,
    fake_slack: FakeSlack,
    database: Database,
    tmp_path: Path,
    processes: list[RoundsProcess],
) -> None:
    ids = _due_prompts(database, fake_slack, 8)
    fake_slack.delay("chat.postMessage", 2.0, times=8)
    worker = RoundsProcess.python(
        "-m", "jobs", env=environment | {"LOG_FORMAT": "json"}, cwd=tmp_path
    )
    processes.append(worker)
    # Four senders: four posts in flight, four more claimed and waiting for a sender.
    fake_slack.wait_for("chat.postMessage", count=4, timeout=60)
    base = f"http://127.0.0.1:{port}"
    assert get(f"{base}/healthz").status == 200
    assert "rounds_scheduler_up 1.0" in get(f"{base}/metrics").text

    assert worker.terminate() == 0

    prompts = _prompts(database, ids)
    sent = [d for d in prompts if d.status is DeliveryStatus.SENT]
    waiting = [d for d in prompts if d.status is DeliveryStatus.SCHEDULED]
    assert len(sent) == 4 and all(d.ts for d in sent)
    # Claimed but never started: back in the outbox for any worker, now, as if untouched.
    assert len(waiting) == 4
    assert all(d.claimed_by is None and d.lease_expires_at is None for d in waiting)
    assert all(d.attempts == 0 and not d.in_doubt for d in waiting)
    assert len(fake_slack.calls_to("chat.postMessage")) == 4
    # One JSON object per line, and no per-run chatter from APScheduler.
    records: list[dict[str, Any]] = [json.loads(line) for line in worker.lines if line.strip()]
    messages = [record["message"] for record in records]
    assert any("stopped in" in message for message in messages)
    assert not [m for m in messages if "Running job" in m or "executed successfully" in m]
