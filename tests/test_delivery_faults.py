"""Exactly once, whatever Slack or the machine does: rate limits, server errors, slow answers,
permanent refusals, several dispatchers at once, and a worker killed mid-send."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse
from sqlalchemy import select

from bot.config import Settings
from bot.domain import pairs
from bot.domain.nudges import plan_coordinator_alert, plan_prompt, plan_wrap_up
from bot.service import Database
from bot.slack_out import make_web_client
from bot.store.deliveries import claim_due, claim_still_mine, pairs_due_for_prompt
from bot.store.models import Delivery, DeliveryKind, DeliveryStatus, Pair, PairState
from jobs import dispatcher as dispatcher_module
from jobs.dispatcher import LEASE, MAX_ATTEMPTS, Dispatcher, RateGate
from jobs.runtime import make_dispatcher, working_hours
from jobs.scheduler import start_scheduler
from jobs.tick import run_planner
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair, make_person
from tests.test_nudges import FIRST_PROMPT, HOURS, SPACE, START, reply_in_thread, rows, run

STUDENT, MENTOR = "U0STUDENT", "U0MENTOR"
REPO = Path(__file__).resolve().parents[1]


def posts_of(fake_slack: FakeSlack, delivery_id: int) -> int:
    return sum(
        1
        for message in fake_slack.messages()
        if (message.get("metadata") or {}).get("event_payload", {}).get("delivery_id")
        == delivery_id
    )


def test_429_waits_retry_after_then_sends_once(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=7)
    first = run(database, dispatcher, FIRST_PROMPT)
    assert first.dispatch.retrying == 1
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.not_before == FIRST_PROMPT + timedelta(seconds=7)
    assert run(database, dispatcher, FIRST_PROMPT + timedelta(seconds=6)).dispatch.sent == 0
    assert run(database, dispatcher, FIRST_PROMPT + timedelta(seconds=7)).dispatch.sent == 1
    assert posts_of(fake_slack, prompt.id) == 1


def test_a_rate_limit_does_not_hold_up_other_deliveries(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    fake_slack.add_channel("G0OTHER", members=["U0S2", "U0M2"])
    make_pair(database, mentee="U0S2", mentor="U0M2", now=START, channel="G0OTHER")
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)
    report = run(database, dispatcher, FIRST_PROMPT)
    assert (report.dispatch.sent, report.dispatch.retrying) == (1, 1)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_retry_with_backoff(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int, status: int
) -> None:
    fake_slack.fail_next("chat.postMessage", status=status, times=2)
    assert run(database, dispatcher, FIRST_PROMPT).dispatch.retrying == 1
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.not_before == FIRST_PROMPT + timedelta(seconds=30)
    assert run(database, dispatcher, FIRST_PROMPT + timedelta(seconds=30)).dispatch.retrying == 1
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.not_before == FIRST_PROMPT + timedelta(seconds=90)  # 30 s, then 60 s
    assert run(database, dispatcher, FIRST_PROMPT + timedelta(seconds=90)).dispatch.sent == 1
    assert posts_of(fake_slack, prompt.id) == 1


def later_dispatcher(settings: Settings, database: Database, *, by: timedelta) -> Dispatcher:
    """A dispatcher whose real clock runs `by` ahead: another worker, some time later."""
    return Dispatcher(
        database.sessions,
        make_dispatcher(settings, database.sessions).client,
        hours=working_hours(settings),
        coordinators=settings.coordinators,
        clock=lambda: datetime.now(UTC) + by,
    )


@pytest.fixture
def impatient(settings: Settings, database: Database) -> Dispatcher:
    """A dispatcher that stops waiting for Slack after one second."""
    return Dispatcher(
        database.sessions,
        make_web_client(
            settings, rate_limit_retries=0, server_error_retries=0, connection_retries=0, timeout=1
        ),
        hours=working_hours(settings),
    )


def test_a_slow_answer_that_did_post_is_not_posted_again(
    database: Database, impatient: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    fake_slack.delay("chat.postMessage", 2.5)  # Slack posts, but answers after we gave up
    assert run(database, impatient, FIRST_PROMPT).dispatch.retrying == 1
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.in_doubt is True
    report = run(database, impatient, FIRST_PROMPT + timedelta(minutes=1))
    assert report.dispatch.sent == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert fake_slack.calls_to("conversations.history")  # it looked before posting again
    assert posts_of(fake_slack, prompt.id) == 1


def test_a_server_that_never_recovers_ends_in_failed_with_a_reason(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    fake_slack.fail_next("chat.postMessage", status=500, times=100)
    now = FIRST_PROMPT
    for _ in range(MAX_ATTEMPTS):
        run(database, dispatcher, now)
        (prompt,) = rows(database, DeliveryKind.PROMPT)
        if prompt.status is not DeliveryStatus.SCHEDULED:
            break
        assert prompt.not_before is not None
        now = prompt.not_before
    assert prompt.status is DeliveryStatus.FAILED
    assert prompt.outcome == f"gave up after {MAX_ATTEMPTS} attempts: http_500"
    assert len(fake_slack.calls_to("chat.postMessage")) == MAX_ATTEMPTS
    # Each retry after an answerless failure first looked for an earlier post.
    assert len(fake_slack.calls_to("conversations.history")) == MAX_ATTEMPTS - 1


PERMANENT = [
    "account_inactive",
    "user_not_found",
    "channel_not_found",
    "is_archived",
    "not_in_channel",
    "invalid_auth",
]


@pytest.mark.parametrize("error", PERMANENT)
def test_permanent_errors_pause_the_pair_and_tell_coordinators_once(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int, error: str
) -> None:
    fake_slack.fail_next("chat.postMessage", error=error)
    report = run(database, dispatcher, FIRST_PROMPT)
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert (prompt.status, prompt.outcome) == (DeliveryStatus.FAILED, error)
    with database.sessions() as session:
        pair = session.get(Pair, pair_id)
        assert (pair.state, pair.paused_reason) == (PairState.PAUSED, error)
    # The alert is planned in the same pass and goes out in it.
    assert report.dispatch.failed == 1
    alerts = [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "UCOORD"]
    assert len(alerts) == 1 and error in alerts[0].args["text"]
    run(database, dispatcher, FIRST_PROMPT + timedelta(weeks=3))
    assert (
        len([c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "UCOORD"])
        == 1
    )
    assert all(d.status in {DeliveryStatus.SENT, DeliveryStatus.FAILED} for d in rows(database))


def _env(settings: Settings) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_API_URL": settings.slack_api_url,
        "DATABASE_URL": settings.database_url,
    }


def _seed_due_prompts(
    database: Database, fake_slack: FakeSlack, *, pairs: int, per_pair: int, now: datetime
) -> None:
    made = []
    for index in range(pairs):
        channel = f"G{index:07d}"
        fake_slack.add_channel(channel, members=[f"U1{index:06d}", f"U2{index:06d}"])
        mentee, mentor = f"U1{index:06d}", f"U2{index:06d}"
        made.append(
            (make_pair(database, mentee=mentee, mentor=mentor, now=START, channel=channel), channel)
        )
    with database.sessions.begin() as session:
        for pair_id, channel in made:
            session.add_all(
                Delivery(
                    pair_id=pair_id,
                    kind=DeliveryKind.PROMPT,
                    period=f"load-{number:04d}",
                    status=DeliveryStatus.SCHEDULED,
                    due_at=now - timedelta(minutes=1),
                    channel_id=channel,
                    attempts=0,
                    in_doubt=False,
                    created_at=now,
                )
                for number in range(per_pair)
            )


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_several_dispatcher_processes_post_each_of_1000_deliveries_exactly_once(
    settings: Settings, database: Database, fake_slack: FakeSlack
) -> None:
    now = FIRST_PROMPT
    _seed_due_prompts(database, fake_slack, pairs=20, per_pair=50, now=now)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.dispatch_once", now.isoformat()],
            cwd=REPO,
            env=_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    sent_by_each = [int(out.split()[1]) for out, _ in outputs]
    assert sum(sent_by_each) == 1000
    assert sum(1 for count in sent_by_each if count) >= 2, "the work was not shared"
    delivered = [
        (message.get("metadata") or {}).get("event_payload", {}).get("delivery_id")
        for message in fake_slack.messages()
    ]
    assert len(delivered) == 1000 and len(set(delivered)) == 1000
    assert {d.status for d in rows(database, DeliveryKind.PROMPT)} == {DeliveryStatus.SENT}


@pytest.mark.slow
def test_a_worker_killed_after_slack_accepted_the_post_neither_loses_nor_repeats_it(
    settings: Settings,
    database: Database,
    dispatcher: Dispatcher,
    fake_slack: FakeSlack,
    pair_id: int,
) -> None:
    with database.sessions.begin() as session:
        for pair in pairs_due_for_prompt(session, now=FIRST_PROMPT, limit=10):
            plan_prompt(session, pair, hours=working_hours(settings), now=FIRST_PROMPT)
    fake_slack.delay("chat.postMessage", 30)  # accepted at once, answered much later
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.dispatch_once", FIRST_PROMPT.isoformat()],
        cwd=REPO,
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        fake_slack.wait_for("chat.postMessage", timeout=60)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert (prompt.status, prompt.in_doubt) == (DeliveryStatus.SENDING, True)
    assert len(fake_slack.messages(SPACE)) == 1  # Slack has it; we never recorded it

    # Restarted after the lease ran out (leases run on the real clock): the nudge is found,
    # not sent again.
    restarted = later_dispatcher(settings, database, by=LEASE + timedelta(minutes=1))
    report = run(database, restarted, FIRST_PROMPT + timedelta(minutes=3))
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.status is DeliveryStatus.SENT
    assert report.dispatch.sent == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert prompt.ts == fake_slack.messages(SPACE)[0]["ts"]


def test_the_rate_gate_tells_a_channels_limit_from_the_workspaces() -> None:
    gate = RateGate()
    now = FIRST_PROMPT
    gate.posted("G1", now)
    gate.rate_limited("G1", now + timedelta(milliseconds=300), retry_after=1)
    assert gate.held_until("G1", now) is not None  # posted a moment ago: its own limit
    assert gate.held_until("G2", now) is None
    gate.rate_limited("G3", now, retry_after=2)  # a fresh channel refused: suspicious
    assert gate.held_until("G4", now) is None
    gate.rate_limited("G5", now, retry_after=2)  # a second one: the workspace is spent
    assert gate.held_until("G4", now) == now + timedelta(seconds=2)
    assert gate.workspace_wait(now) == 2.0
    assert gate.held_until("G4", now + timedelta(seconds=2)) is None


def test_a_rate_limited_look_up_keeps_the_doubt_so_nothing_is_posted_twice(
    database: Database, impatient: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    fake_slack.delay("chat.postMessage", 2.5)  # posted, but we stop waiting: in doubt
    run(database, impatient, FIRST_PROMPT)
    fake_slack.fail_next("conversations.history", status=429, retry_after=1)
    run(database, impatient, FIRST_PROMPT + timedelta(minutes=1))  # the look-up is refused
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.in_doubt is True
    run(database, impatient, FIRST_PROMPT + timedelta(minutes=2))
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.status is DeliveryStatus.SENT
    assert len(fake_slack.messages(SPACE)) == 1


def test_a_deactivated_admin_does_not_keep_other_coordinators_from_hearing(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    with database.sessions.begin() as session:
        make_person(session, "U0OLDADMIN", is_slack_admin=True)
    fake_slack.add_user("U0OLDADMIN", deleted=True)
    fake_slack.fail_next("chat.postMessage", error="channel_not_found")
    run(database, dispatcher, FIRST_PROMPT)
    (alert,) = rows(database, DeliveryKind.COORDINATOR_ALERT)
    assert alert.status is DeliveryStatus.SENT
    told = [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage") if c.answered_ok]
    assert "UCOORD" in told


def test_a_dispatcher_whose_lease_ran_out_does_not_post(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    with database.sessions.begin() as session:
        for pair in pairs_due_for_prompt(session, now=FIRST_PROMPT, limit=10):
            plan_prompt(session, pair, hours=dispatcher.hours, now=FIRST_PROMPT)
    real_now = datetime.now(UTC)
    with database.sessions.begin() as session:
        (claimed,) = claim_due(
            session,
            due_by=FIRST_PROMPT,
            now=real_now,
            lease=LEASE,
            worker=dispatcher.worker,
            limit=5,
        )
        delivery_id = claimed.id
    # Our lease runs out; another dispatcher claims the delivery before we get to it.
    with database.sessions.begin() as session:
        claim_due(
            session,
            due_by=FIRST_PROMPT,
            now=real_now + 2 * LEASE,
            lease=LEASE,
            worker="other",
            limit=5,
        )
    with database.sessions() as session:
        assert not claim_still_mine(
            session,
            delivery_id=delivery_id,
            worker=dispatcher.worker,
            now=real_now + 2 * LEASE,
            lease=LEASE,
        )
    assert fake_slack.calls_to("chat.postMessage") == []


# --- leases run on the real clock -----------------------------------------------------------


class Clock:
    """A real clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class PostHook(WebClient):
    """A Slack client that lets the test act just before each post leaves."""

    def __init__(self, before_post: Callable[[int], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.before_post = before_post
        self.posts = 0

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:  # noqa: N802 (Slack's name)
        self.posts += 1
        self.before_post(self.posts)
        return super().chat_postMessage(**kwargs)


def test_a_pass_that_outlasts_its_lease_does_not_let_another_worker_post_again(
    settings: Settings,
    database: Database,
    fake_slack: FakeSlack,
    pair_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_slack.add_channel("G0OTHER", members=["U0S2", "U0M2"])
    make_pair(database, mentee="U0S2", mentor="U0M2", now=START, channel="G0OTHER")
    run_planner(database.sessions, hours=working_hours(settings), now=FIRST_PROMPT)
    monkeypatch.setattr("jobs.dispatcher.BATCH", 1)  # one claim per round: a long pass
    clock = Clock(FIRST_PROMPT)
    other = Dispatcher(
        database.sessions,
        make_dispatcher(settings, database.sessions).client,
        hours=working_hours(settings),
        clock=clock,
        worker="other",
    )
    other_reports = []

    def meanwhile(post: int) -> None:
        if post == 1:
            clock.at += LEASE + timedelta(minutes=1)  # Slack is slow: the pass runs long
        else:
            other_reports.append(other.run())  # another worker's pass, mid-post

    slow = Dispatcher(
        database.sessions,
        PostHook(meanwhile, token=settings.slack_bot_token, base_url=settings.slack_api_url),
        hours=working_hours(settings),
        clock=clock,
        worker="slow",
    )
    # Like the scheduler's pass before the fix, run as of the instant it started.
    report = slow.run(now=FIRST_PROMPT)

    assert report.sent == 2
    assert [r.sent for r in other_reports] == [0]
    prompts = rows(database, DeliveryKind.PROMPT)
    assert [posts_of(fake_slack, prompt.id) for prompt in prompts] == [1, 1]
    assert {prompt.status for prompt in prompts} == {DeliveryStatus.SENT}


def test_the_scheduler_runs_live_passes_that_read_the_clock_themselves(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes: list[dict[str, Any]] = []
    monkeypatch.setattr(Dispatcher, "run", lambda self, **kwargs: passes.append(kwargs))
    monkeypatch.setattr("jobs.scheduler.run_planner", lambda *args, **kwargs: None)
    scheduler = start_scheduler(settings, database.sessions)
    try:
        scheduler.get_job("dispatcher").func()
    finally:
        scheduler.shutdown(wait=False)
    assert passes == [{}]  # no frozen `now`: leases and "due" follow the real clock


# --- a post Slack may have comes first ------------------------------------------------------


def test_an_in_doubt_prompt_retried_on_a_later_day_is_found_sent_and_answerable(
    database: Database, impatient: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    fake_slack.delay("chat.postMessage", 2.5)  # Slack posts, but answers after we gave up
    run(database, impatient, FIRST_PROMPT)
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert (prompt.status, prompt.in_doubt) == (DeliveryStatus.SCHEDULED, True)
    # The worker is down until the next morning: the prompt's own day has passed.
    report = run(database, impatient, FIRST_PROMPT + timedelta(days=1))
    assert (report.dispatch.sent, report.dispatch.skipped) == (1, 0)
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    (posted,) = fake_slack.messages(SPACE)
    assert (prompt.status, prompt.channel_id, prompt.ts) == (
        DeliveryStatus.SENT,
        SPACE,
        posted["ts"],
    )
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    (follow_up,) = rows(database, DeliveryKind.FOLLOW_UP)
    assert follow_up.thread_ts == prompt.ts
    reply_in_thread(database, MENTOR, prompt.ts)  # the mentor's answer counts


# --- every claim ends sent, skipped, failed or rescheduled ----------------------------------


def _due_delivery(database: Database, pair_id: int, kind: DeliveryKind) -> None:
    """One delivery of `kind` due at FIRST_PROMPT (prompts are planned by the tick itself)."""
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        if kind is DeliveryKind.WRAP_UP:
            pairs.end(pair, actor=pair.mentee, now=FIRST_PROMPT)
            assert plan_wrap_up(session, pair=pair, hours=HOURS, now=FIRST_PROMPT)
        elif kind is DeliveryKind.COORDINATOR_ALERT:
            pair.state, pair.paused_reason = PairState.PAUSED, "channel_not_found"
            assert plan_coordinator_alert(
                session, pair=pair, reason="channel_not_found", now=FIRST_PROMPT
            )


KINDS = [DeliveryKind.PROMPT, DeliveryKind.WRAP_UP, DeliveryKind.COORDINATOR_ALERT]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unexpected_error_reschedules_with_backoff_then_gives_up(
    database: Database,
    dispatcher: Dispatcher,
    fake_slack: FakeSlack,
    pair_id: int,
    kind: DeliveryKind,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _due_delivery(database, pair_id, kind)

    def unreadable(*args: Any, **kwargs: Any) -> tuple[str, str]:
        raise ValueError("an answer no one foresaw")  # classify() re-raises it

    monkeypatch.setattr("jobs.dispatcher.post_nudge", unreadable)
    now = FIRST_PROMPT
    for attempt in range(1, MAX_ATTEMPTS + 1):
        run(database, dispatcher, now)
        (delivery,) = rows(database, kind)
        assert delivery.status is not DeliveryStatus.SENDING  # never left claimed
        if delivery.status is DeliveryStatus.FAILED:
            break
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SCHEDULED, attempt)
        assert delivery.not_before is not None
        now = delivery.not_before
    assert attempt == MAX_ATTEMPTS
    assert (delivery.status, delivery.outcome) == (
        DeliveryStatus.FAILED,
        f"gave up after {MAX_ATTEMPTS} attempts: unexpected ValueError",
    )
    assert fake_slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_unexpected_error_after_slack_took_the_post_does_not_post_twice(
    database: Database,
    dispatcher: Dispatcher,
    fake_slack: FakeSlack,
    pair_id: int,
    kind: DeliveryKind,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _due_delivery(database, pair_id, kind)
    real_post = dispatcher_module.post_nudge

    def posted_then_unreadable(*args: Any, **kwargs: Any) -> tuple[str, str]:
        real_post(*args, **kwargs)
        raise KeyError("ts")

    monkeypatch.setattr("jobs.dispatcher.post_nudge", posted_then_unreadable)
    run(database, dispatcher, FIRST_PROMPT)
    (delivery,) = rows(database, kind)
    assert (delivery.status, delivery.in_doubt) == (DeliveryStatus.SCHEDULED, True)
    monkeypatch.undo()
    run(database, dispatcher, FIRST_PROMPT + timedelta(minutes=1))
    (delivery,) = rows(database, kind)
    assert delivery.status is DeliveryStatus.SENT
    assert posts_of(fake_slack, delivery.id) == 1


def test_a_delivery_whose_senders_keep_dying_is_given_up(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    run_planner(database.sessions, hours=HOURS, now=FIRST_PROMPT)
    # Every earlier claimer died mid-send (say, killed for memory) and its lease ran out.
    with database.sessions.begin() as session:
        (prompt,) = session.execute(select(Delivery)).scalars()
        prompt.status, prompt.claimed_by, prompt.attempts = (
            DeliveryStatus.SENDING,
            "dead",
            MAX_ATTEMPTS,
        )
        prompt.lease_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    report = run(database, dispatcher, FIRST_PROMPT + timedelta(minutes=30))
    assert report.dispatch.failed == 1
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.status is DeliveryStatus.FAILED
    assert prompt.outcome.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert fake_slack.calls_to("conversations.history")  # it looked for a post first
    assert fake_slack.calls_to("chat.postMessage") == []


def test_waiting_for_working_hours_spends_no_attempt(
    database: Database, dispatcher: Dispatcher, pair_id: int
) -> None:
    _due_delivery(database, pair_id, DeliveryKind.WRAP_UP)
    run(database, dispatcher, FIRST_PROMPT + timedelta(hours=9))  # 18:00 in New York
    (wrap_up,) = rows(database, DeliveryKind.WRAP_UP)
    assert (wrap_up.status, wrap_up.attempts) == (DeliveryStatus.SCHEDULED, 0)
    assert wrap_up.due_at == FIRST_PROMPT + timedelta(days=1)  # 09:00 the next morning
