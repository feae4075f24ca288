"""The HTTP app, driven exactly as Slack drives it: signed requests to /slack/events."""

from __future__ import annotations

import time

import pytest

from sandbox.fake_slack import FakeSlack
from tests.slack_requests import SlackSender, command_body, get, post, sign

SLACK_ACK_LIMIT_SECONDS = 3


def test_healthz_answers_when_the_database_is_reachable(http_url: str) -> None:
    reply = get(f"{http_url}/healthz")
    assert reply.status == 200
    assert reply.text == "ok\n"


def test_mentor_help_is_answered_privately_with_every_command(slack: SlackSender) -> None:
    reply, _ = slack.command("/mentor", "help", user="U0STUDENT")
    assert reply.status == 200
    assert reply.seconds < SLACK_ACK_LIMIT_SECONDS
    answer = reply.json
    assert answer["response_type"] == "ephemeral"
    shown = str(answer["blocks"])
    for usage in ("/mentor request", "/mentor pair", "/goal add", "/checkin status"):
        assert usage in shown


@pytest.mark.parametrize(
    ("how", "timestamp_offset", "secret"),
    [
        ("signed with another secret", 0, "0" * 32),
        ("older than five minutes", -6 * 60, None),
        ("from the future", 6 * 60, None),
    ],
)
def test_requests_not_signed_by_slack_get_401(
    slack: SlackSender, fake_slack: FakeSlack, how: str, timestamp_offset: int, secret: str | None
) -> None:
    body = command_body("/mentor", "help", user="U0X", response_url=fake_slack.new_response_url())
    timestamp = int(time.time()) + timestamp_offset
    signature = sign(body, timestamp=timestamp, **({"secret": secret} if secret else {}))
    reply = post(
        slack.url,
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=timestamp,
        signature=signature,
    )
    assert reply.status == 401, how


def test_a_body_changed_after_signing_gets_401(slack: SlackSender, fake_slack: FakeSlack) -> None:
    body = command_body("/mentor", "help", user="U0X", response_url=fake_slack.new_response_url())
    timestamp = int(time.time())
    signature = sign(body, timestamp=timestamp)
    reply = post(
        slack.url,
        body.replace(b"help", b"list"),
        content_type="application/x-www-form-urlencoded",
        timestamp=timestamp,
        signature=signature,
    )
    assert reply.status == 401


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/slack/events", 405), ("GET", "/nowhere", 404)],
)
def test_other_paths_and_methods(http_url: str, method: str, path: str, status: int) -> None:
    assert method == "GET"
    assert get(http_url + path).status == status


def test_a_retried_event_is_processed_once(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = {"type": "app_home_opened", "user": "U0STUDENT", "channel": "D0HOME", "tab": "home"}
    first = slack.event(event, event_id="Ev0HOME1")
    fake_slack.wait_for("views.publish")
    retried = slack.event(event, event_id="Ev0HOME1", retry=1)
    assert (first.status, retried.status) == (200, 200)
    time.sleep(0.3)  # give a wrongly processed retry the time to show up
    assert len(fake_slack.calls_to("views.publish")) == 1


@pytest.mark.parametrize(
    ("command", "text", "read_only"),
    [
        ("/mentor", "list", True),
        ("/goal", " LIST ", True),
        ("/checkin", "status", True),
        ("/checkin", "status of my research", False),  # an update to post
        ("/goal", "add Read", False),
        ("/mentor", "request <@U1>", False),
    ],
)
def test_only_requests_that_look_get_a_read_session(
    command: str, text: str, read_only: bool
) -> None:
    from bot.listeners.commands import reads_only

    assert reads_only({"command": command, "text": text}) is read_only


def test_concurrent_lists_are_answered_while_writes_go_on(slack: SlackSender) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def work(index: int) -> str:
        if index % 3 == 0:
            reply, _ = slack.command("/goal", "add Something", user=f"U0W{index}")
        else:
            reply, _ = slack.command("/mentor", "list", user=f"U0R{index}")
        assert reply.status == 200
        return str(reply.json["text"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(work, range(24)))
    assert not [text for text in answers if "Sorry" in text]
