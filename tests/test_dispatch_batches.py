"""The dispatcher works in batches: a few statements and two commits per batch however many
nudges it holds, leases renewed together before they run low, a post never made for a claim
another worker took over, DM channels learned, and live passes paced per channel."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse
from sqlalchemy import event, select, update

from bot.config import Settings
from bot.domain.nudges import plan_gratitude
from bot.service import Database
from bot.store.models import CheckIn, Delivery, DeliveryKind, DeliveryStatus, Pair, Person
from jobs import dispatcher as dispatcher_module
from jobs.dispatcher import LEASE, Dispatcher, LearnedPace, RateGate
from jobs.runtime import make_dispatcher, working_hours
from jobs.tick import run_planner
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.test_delivery_faults import posts_of
from tests.test_nudges import FIRST_PROMPT, HOURS, START, rows


def _due_prompts(database: Database, fake_slack: FakeSlack, count: int, *, prefix: str) -> None:
    for n in range(count):
        channel = f"G{prefix}{n:04d}"
        fake_slack.add_channel(channel, members=[f"U1{prefix}{n:04d}", f"U2{prefix}{n:04d}"])
        make_pair(
            database,
            mentee=f"U1{prefix}{n:04d}",
            mentor=f"U2{prefix}{n:04d}",
            now=START,
            channel=channel,
        )
    run_planner(database.sessions, hours=HOURS, now=FIRST_PROMPT)


class Recorder:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    def statement(self, *args: Any) -> None:
        if args[2].lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            self.statements.append(args[2])

    def commit(self, *args: Any) -> None:
        self.commits += 1


@pytest.fixture
def recorder(database: Database) -> Iterator[Recorder]:
    recorded = Recorder()
    event.listen(database.engine, "before_cursor_execute", recorded.statement)
    event.listen(database.engine, "commit", recorded.commit)
    yield recorded
    event.remove(database.engine, "before_cursor_execute", recorded.statement)
    event.remove(database.engine, "commit", recorded.commit)


def test_a_batch_costs_the_same_few_statements_for_three_pairs_or_twenty(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, recorder: Recorder
) -> None:
    counts = []
    for size, prefix in ((3, "A"), (20, "B")):
        _due_prompts(database, fake_slack, size, prefix=prefix)
        recorder.statements.clear()
        recorder.commits = 0
        report = dispatcher.run(now=FIRST_PROMPT)
        # Each pair's prompt goes out; its kick-off's own day passed long ago: skipped.
        assert (report.sent, report.skipped) == (size, size)
        counts.append((len(recorder.statements), recorder.commits))
    # Claim, pairs, goals, prompts seen, calendar, then every post's outcome and follow-up:
    # whatever the size of the batch.
    assert counts[0] == counts[1], recorder.statements
    statements, commits = counts[1]
    assert statements <= 12 and commits == 3  # the batch's two, and the claim that found none
    follow_ups = rows(database, DeliveryKind.FOLLOW_UP)
    assert len(follow_ups) == 23 and {f.status for f in follow_ups} == {DeliveryStatus.SCHEDULED}
    prompts = {p.id: p for p in rows(database, DeliveryKind.PROMPT)}
    for follow_up in follow_ups:
        prompt = next(p for p in prompts.values() if p.pair_id == follow_up.pair_id)
        assert (follow_up.thread_ts, follow_up.channel_id) == (prompt.ts, prompt.channel_id)
        assert posts_of(fake_slack, prompt.id) == 1


def test_a_dm_channel_learned_from_a_post_is_kept(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        checkin = CheckIn(pair_id=pair_id, opened_at=START, completed_at=FIRST_PROMPT)
        session.add(checkin)
        session.flush()
        assert plan_gratitude(
            session, pair=pair, checkin=checkin, hours=HOURS, now=FIRST_PROMPT - timedelta(days=1)
        )
    (gratitude,) = rows(database, DeliveryKind.GRATITUDE)
    report = dispatcher.run(now=gratitude.due_at)
    assert report.sent == 1
    (gratitude,) = rows(database, DeliveryKind.GRATITUDE)
    with database.sessions() as session:
        mentee = session.get(Pair, pair_id).mentee  # type: ignore[union-attr]
        assert mentee.dm_channel_id == gratitude.channel_id is not None


class Clock:
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


def _one_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatcher_module, "SENDERS", 1)  # posts in order, one at a time


@pytest.mark.parametrize("taken_over", [False, True])
def test_leases_are_renewed_together_and_a_claim_taken_over_is_not_posted(
    settings: Settings,
    database: Database,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    taken_over: bool,
) -> None:
    _one_sender(monkeypatch)
    _due_prompts(database, fake_slack, 2, prefix="L")
    first, second = rows(database, DeliveryKind.PROMPT)
    clock = Clock(datetime.now(UTC))

    def meanwhile(post: int) -> None:
        if post != 1:
            return
        clock.at += LEASE - timedelta(seconds=10)  # Slack was slow: the lease runs low
        if taken_over:
            # Another worker's clock ran ahead: it took the second claim over.
            with database.sessions.begin() as session:
                session.execute(
                    update(Delivery)
                    .where(Delivery.id == second.id)
                    .values(claimed_by="other", in_doubt=True)
                )

    worker = Dispatcher(
        database.sessions,
        PostHook(meanwhile, token=settings.slack_bot_token, base_url=settings.slack_api_url),
        hours=working_hours(settings),
        clock=clock,
        worker="slow",
    )
    report = worker.run(now=FIRST_PROMPT)
    assert posts_of(fake_slack, first.id) == 1
    assert posts_of(fake_slack, second.id) == (0 if taken_over else 1)
    with database.sessions() as session:
        mine = session.get(Delivery, second.id)
        assert mine is not None
        if taken_over:
            assert (mine.status, mine.claimed_by) == (DeliveryStatus.SENDING, "other")
            assert (report.sent, report.retrying) == (1, 1)
        else:
            assert mine.status is DeliveryStatus.SENT and report.sent == 2


def test_the_rate_gate_spaces_posts_to_one_channel_a_second_apart() -> None:
    gate = RateGate()
    assert [gate.reserve_slot("G1", 100.0) for _ in range(3)] == [100.0, 101.0, 102.0]
    assert gate.reserve_slot("G2", 100.0) == 100.0
    assert gate.reserve_slot("G1", 110.0) == 110.0  # long quiet: at once


def test_a_live_pass_paces_one_channel_and_hands_back_what_must_wait(
    settings: Settings,
    database: Database,
    fake_slack: FakeSlack,
    pair_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RateGate, "PER_CHANNEL_WINDOW", timedelta(milliseconds=300))
    monkeypatch.setattr(dispatcher_module, "PACING_HORIZON", timedelta(milliseconds=700))
    run_planner(database.sessions, hours=HOURS, now=FIRST_PROMPT)
    with database.sessions.begin() as session:
        (prompt,) = session.execute(select(Delivery)).scalars()
        for n in range(4):  # four more nudges for the same check-in space
            session.add(
                Delivery(
                    pair_id=pair_id,
                    kind=DeliveryKind.PROMPT,
                    period=f"extra-{n}",
                    status=DeliveryStatus.SCHEDULED,
                    due_at=prompt.due_at,
                    channel_id=prompt.channel_id,
                    attempts=0,
                    in_doubt=False,
                    created_at=prompt.created_at,
                )
            )
    started: list[float] = []
    live = Dispatcher(
        database.sessions,
        PostHook(
            lambda _post: started.append(time.monotonic()),
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
        ),
        hours=working_hours(settings),
        clock=Clock(FIRST_PROMPT),  # working hours in New York, however late the test runs
    )
    report = live.run()
    # Slots at 0, 0.3 and 0.6 s fit the 0.7 s horizon; the other two wait their turn.
    assert (report.sent, report.retrying) == (3, 2)
    assert len(fake_slack.calls_to("chat.postMessage")) == 3
    # Each post to the channel left a window (less a thread switch) after the one before.
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(started))
    waiting = [
        d for d in rows(database, DeliveryKind.PROMPT) if d.status is DeliveryStatus.SCHEDULED
    ]
    assert len(waiting) == 2
    assert all(d.attempts == 0 and d.not_before and d.not_before > FIRST_PROMPT for d in waiting)


def test_people_seen_in_a_batch_are_not_reloaded_one_by_one(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, recorder: Recorder
) -> None:
    _due_prompts(database, fake_slack, 12, prefix="P")
    recorder.statements.clear()
    dispatcher.run(now=FIRST_PROMPT)
    person_reads = [s for s in recorder.statements if "FROM people" in s and "JOIN" not in s]
    assert person_reads == []
    with database.sessions() as session:
        assert session.execute(select(Person)).scalars().first() is not None


def test_the_rate_gate_learns_the_workspace_budget_from_its_refusals() -> None:
    moment = [1000.0]
    gate = RateGate(monotonic=lambda: moment[0])
    now = FIRST_PROMPT

    def workspace_refusal() -> None:
        gate.rate_limited("GA", now, retry_after=1)  # fresh channels, twice: the workspace
        gate.rate_limited("GB", now, retry_after=1)

    workspace_refusal()  # the burst ran out: nothing learned yet
    assert gate.workspace.spacing == 0.0
    for _ in range(10):  # ten posts went through in the next two seconds
        gate.posted("GC", now)
    moment[0] += 2.0
    now += timedelta(seconds=2)
    workspace_refusal()
    assert gate.workspace.spacing == pytest.approx(0.2)
    gate.wait_for_turn("G1")
    assert gate.workspace.free_at() == pytest.approx(moment[0] + 0.2)  # next post, any channel
    for _ in range(LearnedPace.PROBE):
        gate.posted("GC", now)
    assert gate.workspace.spacing == pytest.approx(0.18)  # no refusal for a while: faster


def _welcomes(database: Database, count: int) -> list[int]:
    """Imported pairs with no check-in space yet, each with its welcome due."""
    made = [
        make_pair(database, mentee=f"U1W{n:04d}", mentor=f"U2W{n:04d}", now=START)
        for n in range(count)
    ]
    with database.sessions.begin() as session:
        for pair_id in made:
            session.add(
                Delivery(
                    pair_id=pair_id,
                    kind=DeliveryKind.WELCOME,
                    period="welcome",
                    status=DeliveryStatus.SCHEDULED,
                    due_at=FIRST_PROMPT - timedelta(minutes=1),
                    attempts=0,
                    in_doubt=False,
                    created_at=START,
                )
            )
    return made


def test_a_refused_opening_holds_every_welcome_without_spending_an_attempt(
    settings: Settings,
    database: Database,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _one_sender(monkeypatch)  # one opening at a time: the refusal comes before the others
    dispatcher = make_dispatcher(settings, database.sessions)
    _welcomes(database, 3)
    fake_slack.fail_next("conversations.open", status=429, retry_after=5)
    report = dispatcher.run(now=FIRST_PROMPT)
    assert (report.sent, report.retrying) == (0, 3)
    assert len(fake_slack.calls_to("conversations.open")) == 1  # the others were held
    waiting = rows(database, DeliveryKind.WELCOME)
    assert {d.not_before for d in waiting} == {FIRST_PROMPT + timedelta(seconds=5)}
    assert all(d.attempts == 0 and not d.in_doubt for d in waiting)
    report = dispatcher.run(now=FIRST_PROMPT + timedelta(seconds=5))
    assert report.sent == 3
    assert len(fake_slack.calls_to("conversations.open")) == 4
    welcomes = rows(database, DeliveryKind.WELCOME)
    assert [posts_of(fake_slack, d.id) for d in welcomes] == [1, 1, 1]


def test_the_rate_gate_learns_how_fast_spaces_may_be_opened() -> None:
    moment = [0.0]
    gate = RateGate(monotonic=lambda: moment[0])
    now = FIRST_PROMPT
    gate.opening_refused(now, retry_after=1)  # the burst is spent
    for _ in range(5):
        gate.opened()
    moment[0] += 6.0
    later = now + timedelta(seconds=6)
    gate.opening_refused(later, retry_after=1)
    assert gate.opening.spacing == pytest.approx(1.2)  # 50 a minute
    assert gate.opening_held_until(later) == later + timedelta(seconds=1)
    assert gate.opening_held_until(later + timedelta(seconds=1)) is None
