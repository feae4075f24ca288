"""Claims due deliveries and sends them, exactly once.

Each delivery is claimed with a lease. Before posting, the delivery is marked `in_doubt`
and committed; the post carries the delivery ID in Slack message metadata. Whoever finds a
delivery still in doubt (its claimer crashed, or Slack did not answer) first looks for that
post, before deciding anything else, so a crash between Slack's answer and our commit never
sends twice, and a post Slack has is never recorded as skipped.

Two clocks: `now` says what is due and decides the nudge rules (a rehearsal such as
`tick --at` picks it); leases are always taken and renewed on the real clock (`clock`), so a
long pass never holds a claim that has already run out.

Deliveries are claimed BATCH at a time and handled with a few statements per batch: the
claim, the decisions and the in-doubt mark commit together before any post, and the posts'
outcomes commit together after them. A delivery in doubt, an alert to several coordinators
and a first post that has to open the check-in space go one by one (`deliver`), as before.
A batch's claims are renewed together when their lease runs low, before the next post.

Live passes pace their posts: one a second per channel (Slack's limit for chat.postMessage),
and after a workspace-wide refusal, every channel waits as long as Slack asked.

Every claim ends sent, skipped, failed or rescheduled, and a delivery is claimed at most
MAX_ATTEMPTS times (a refusal to listen, HTTP 429, does not count): an unexpected error
reschedules it with backoff like a server error, and a claimer that died mid-send spends an
attempt too.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, joinedload

from bot.blocks import hours as hours_blocks
from bot.blocks import nudges as nudge_blocks
from bot.blocks import pairs as pair_blocks
from bot.blocks import program as program_blocks
from bot.blocks import times
from bot.blocks.home import GoalLine
from bot.blocks.times import Zoned
from bot.domain import goals as goal_rules
from bot.domain import people, workspaces
from bot.domain.cadence import WorkingHours
from bot.domain.hours import clash_to_tell, note_clash_told
from bot.domain.nudges import (
    Verdict,
    decide,
    follow_up_due,
    plan_coordinator_alert,
    plan_follow_up,
)
from bot.domain.program.attention import needs_attention
from bot.domain.program.calendar import Calendars, WorkingCalendar
from bot.domain.program.digest import NOTHING_TO_SAY, decide_digest
from bot.domain.schedule import cadence_of
from bot.domain.themes import theme_for, theme_of_next_prompt
from bot.slack_out import (
    APP_GONE,
    Fault,
    FaultKind,
    SlackClient,
    WorkspaceClients,
    classify,
    dm_channel,
    ensure_checkin_space,
    find_own_post,
    post_nudge,
    workspace_clients,
)
from bot.store.db import SessionFactory
from bot.store.deliveries import claim_due, claim_still_mine, release_unstarted
from bot.store.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Goal,
    Pair,
    PairState,
    Person,
    Workspace,
)
from bot.store.outbox import (
    Sent,
    load_pairs,
    mark_sent,
    note_hours_clash_told,
    open_goals_by_pair,
    release_unposted,
    remember_dm_channels,
    renew_leases,
    rows_for,
    skip_unposted,
)
from bot.store.themes import prompts_sent_by_pair
from bot.store.upsert import insert_many_ignoring_duplicates
from jobs import relationship

log = logging.getLogger("rounds.dispatcher")

LEASE = timedelta(minutes=2)
# A batch's leases are renewed when less than this is left: another worker whose clock runs
# ahead of ours by up to this much still never re-claims a delivery we are about to post.
RENEW_WHEN_LEFT = timedelta(seconds=90)
SENDERS = 4  # posts in flight per worker
# A live pass holds a post for its channel's next free second if that comes this soon;
# later ones are handed back, to be claimed again when their turn comes.
PACING_HORIZON = timedelta(seconds=5)
WITH_PAIR_AND_MEMBERS = [
    joinedload(Delivery.pair).joinedload(Pair.mentee),
    joinedload(Delivery.pair).joinedload(Pair.mentor),
    joinedload(Delivery.pair).joinedload(Pair.workspace),
    joinedload(Delivery.person).joinedload(Person.workspace),
]
BATCH = 50
MAX_ATTEMPTS = 8
BACKOFF_START = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# A pass with nothing to claim while a workspace's rate limit runs waits in slices this long,
# so another workspace's delivery that falls due meanwhile is not held up behind it.
GATE_SLICE_SECONDS = 1.0
NOT_INSTALLED = "not installed: Rounds holds no token for this workspace"


@dataclass
class DispatchReport:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass(frozen=True)
class Outgoing:
    recipients: list[Person]  # whose DM it goes to; empty for the check-in space
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    tells_hours_clash: bool = False  # once sent, the pair has heard their hours never meet


@dataclass
class Ready:
    """A claimed delivery composed and about to be posted by a batch."""

    delivery_id: int
    pair_id: int
    kind: DeliveryKind
    period: str
    target: str  # the channel (or user ID, for a DM) posted to
    recipient_id: int | None  # whose DM it is
    known_dm: str | None
    outgoing: Outgoing
    follow_up_at: datetime | None  # a prompt's follow-up, planned with the prompt's post
    workspace: Workspace  # whose token and rate limits it goes out with
    slot: float = 0.0  # time.monotonic() from which a live pass may post it


@dataclass
class Posted:
    ready: Ready
    channel: str | None = None
    ts: str | None = None
    fault: Fault | None = None
    held: datetime | None = None  # the rate gate held it back: nothing was posted
    lost: bool = False  # the lease ran out and another dispatcher re-claimed it
    unexpected: Exception | None = None
    unstarted: bool = False  # the process began stopping before this post started
    not_installed: bool = False  # Rounds holds no token for its workspace any more
    route: Route | None = None


@dataclass
class Batch:
    lease_until: datetime
    claimed: int = 0
    outcomes: list[str] = field(default_factory=list)
    one_by_one: list[int] = field(default_factory=list)
    ready: list[Ready] = field(default_factory=list)
    unfinished: set[int] = field(default_factory=set)
    lost: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int) -> timedelta:
    delay: timedelta = BACKOFF_START * 2 ** max(0, attempts - 1)
    return min(BACKOFF_CAP, delay)


class SendFailedError(Exception):
    """A send that did not complete. `fault` is None when the rate gate held it back;
    `nothing_posted` is True only when no post of this delivery can have reached Slack."""

    def __init__(
        self, fault: Fault | None, *, nothing_posted: bool = False, until: datetime | None = None
    ) -> None:
        super().__init__(fault.reason if fault else "held by the rate gate")
        self.fault = fault
        self.nothing_posted = nothing_posted
        self.until = until


class LostClaimError(Exception):
    """Another dispatcher claimed this delivery after our lease ran out."""


class LearnedPace:
    """How far apart to start calls Slack limits without saying how much: the calls that went
    through between two refusals, over the time between them, are what the limit refills.
    Calls are then spaced that far apart, and a little closer after every PROBE calls with no
    refusal, to notice a larger budget."""

    PROBE = 50
    LEARN_WITHIN = 60.0  # seconds: a longer cycle says nothing about the refill rate

    def __init__(self, monotonic: Callable[[], float], *, max_spacing: float) -> None:
        self.monotonic = monotonic
        self.max_spacing = max_spacing
        self.spacing = 0.0  # seconds between two calls' starts; 0: nothing learned yet
        self.next_start = 0.0  # on monotonic(): when the next call may start
        self.cycle_started: float | None = None  # the last refusal
        self.cycle_calls = 0  # calls through since then

    def went_through(self) -> None:
        self.cycle_calls += 1
        if self.spacing and self.cycle_calls % self.PROBE == 0:
            self.spacing *= 0.9

    def refused(self) -> None:
        moment = self.monotonic()
        if self.cycle_started is not None and self.cycle_calls >= 2:
            cycle = moment - self.cycle_started
            if cycle <= self.LEARN_WITHIN:
                self.spacing = min(self.max_spacing, cycle / self.cycle_calls)
        self.cycle_started, self.cycle_calls = moment, 0

    def free_at(self) -> float:
        return self.next_start

    def started(self, moment: float) -> None:
        self.next_start = moment + self.spacing


class RateGate:
    """What this process has learned from Slack's 429s, so it does not knock again too soon.

    Slack limits chat.postMessage to about one message a second per channel, plus a
    workspace-wide budget, and a 429 does not say which one ran out. A 429 holds its own
    channel; a second 429 on another channel within the first one's wait means the
    workspace's budget is spent, and then every channel waits.

    Slack does not publish the workspace's budget, so live passes learn it (LearnedPace)
    and space posts, all channels together. Opening a check-in space (conversations.open,
    Tier 3: about 50 a minute) is paced and held the same way, apart from posts.
    """

    PER_CHANNEL_WINDOW = timedelta(seconds=1)
    # Budgets are "several hundred a minute" for posts, "50+" for opens; a 429 catches less.
    MAX_POST_SPACING = 1.0
    MAX_OPEN_SPACING = 3.0

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.Lock()  # several senders share one gate
        self.monotonic = monotonic
        self.channel_until: dict[str, datetime] = {}
        self.workspace_until: datetime | None = None
        self.last_post: dict[str, datetime] = {}
        self.suspect_until: datetime | None = None
        self.next_free: dict[str, float] = {}  # per channel, on monotonic()
        self.started: dict[str, float] = {}  # per channel: the last post's start, likewise
        self.workspace = LearnedPace(monotonic, max_spacing=self.MAX_POST_SPACING)
        self.opening = LearnedPace(monotonic, max_spacing=self.MAX_OPEN_SPACING)
        self.opening_until: datetime | None = None

    def held_until(self, channel: str, now: datetime) -> datetime | None:
        with self.lock:
            holds = [self.workspace_until, self.channel_until.get(channel)]
            return max((hold for hold in holds if hold is not None and hold > now), default=None)

    def posted(self, channel: str, now: datetime) -> None:
        with self.lock:
            self.workspace.went_through()
            self.last_post[channel] = now
            if len(self.last_post) > 10_000:  # only the last second matters
                self.last_post = {
                    key: at
                    for key, at in self.last_post.items()
                    if now - at < self.PER_CHANNEL_WINDOW
                }

    def rate_limited(self, channel: str, now: datetime, retry_after: int) -> None:
        until = now + timedelta(seconds=retry_after)
        with self.lock:
            self.channel_until[channel] = until
            last = self.last_post.get(channel)
            if last is not None and now - last < self.PER_CHANNEL_WINDOW:
                return  # this channel's own limit
            if self.suspect_until is not None and self.suspect_until > now:
                if self.workspace_until is None or self.workspace_until <= now:
                    self.workspace.refused()  # a new workspace-wide refusal, not its echo
                self.workspace_until = max(until, self.workspace_until or until)
            else:
                self.suspect_until = until

    # --- opening check-in spaces (conversations.open) ------------------------------------

    def opening_held_until(self, now: datetime) -> datetime | None:
        with self.lock:
            if self.opening_until is not None and self.opening_until > now:
                return self.opening_until
            return None

    def opening_refused(self, now: datetime, retry_after: int) -> None:
        with self.lock:
            if self.opening_until is None or self.opening_until <= now:
                self.opening.refused()
            self.opening_until = max(
                now + timedelta(seconds=retry_after), self.opening_until or now
            )

    def opened(self) -> None:
        with self.lock:
            self.opening.went_through()

    def wait_to_open(self) -> None:
        """Sleep until the learned spacing since this process last opened a space."""
        with self.lock:
            now = self.monotonic()
            start = max(now, self.opening.free_at())
            self.opening.started(start)
        if start > now:
            time.sleep(start - now)

    def wait_for_turn(self, channel: str) -> None:
        """Sleep until a second (PER_CHANNEL_WINDOW) has passed since this process last
        started a post to the channel, and the learned workspace spacing since it last started
        any post; then count this one as started. Reserved slots plan the batch; this keeps
        the spacing when a post before it left late."""
        window = self.PER_CHANNEL_WINDOW.total_seconds()
        while True:
            with self.lock:
                now = self.monotonic()
                free = max(
                    self.started.get(channel, now - window) + window, self.workspace.free_at()
                )
                if free <= now:
                    self.started[channel] = now
                    self.workspace.started(now)
                    if len(self.started) > 10_000:
                        self.started = {
                            key: at for key, at in self.started.items() if now - at < window
                        }
                    return
            time.sleep(free - now)

    def reserve_slot(self, channel: str, at: float) -> float:
        """The first moment (time.monotonic()) from `at` at which this process may post to the
        channel without passing Slack's one message a second; reserves it."""
        with self.lock:
            slot = max(at, self.next_free.get(channel, at))
            self.next_free[channel] = slot + self.PER_CHANNEL_WINDOW.total_seconds()
            if len(self.next_free) > 10_000:
                self.next_free = {key: free for key, free in self.next_free.items() if free > at}
            return slot

    def workspace_wait(self, now: datetime) -> float | None:
        with self.lock:
            if self.workspace_until is None or self.workspace_until <= now:
                return None
            return (self.workspace_until - now).total_seconds()


@dataclass(frozen=True)
class Route:
    """How a delivery reaches its workspace: that workspace's own client and rate gate."""

    workspace: Workspace
    client: SlackClient
    gate: RateGate


class Dispatcher:
    def __init__(
        self,
        sessions: SessionFactory,
        client: SlackClient | WorkspaceClients,
        *,
        hours: WorkingHours,
        coordinators: Collection[str] = (),
        holidays: str | None = None,
        worker: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        stopping: threading.Event | None = None,
    ) -> None:
        self.sessions = sessions
        # Set when the process stops (bot.lifecycle): no new claims; posts in flight finish,
        # claimed deliveries not yet started go back to the outbox.
        self.stopping = stopping or threading.Event()
        self.client = client
        # One client per workspace (one for all in single-token mode): each delivery goes out
        # with its own workspace's token.
        self.clients = workspace_clients(client)
        self.hours = hours
        self.configured_coordinators = frozenset(coordinators)
        self.holidays = holidays
        self.calendars = Calendars(holidays)
        self.worker = worker or worker_name()
        # Slack's rate limits are per workspace: one workspace's 429 holds only its own.
        self.gates: dict[int, RateGate] = {}
        self.gates_lock = threading.Lock()
        self.clock = clock  # the real clock: leases are measured on it
        self.pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="sender")
        self.live = False

    def run(self, *, now: datetime | None = None, max_seconds: float = 50.0) -> DispatchReport:
        """Send everything due. With `now` (a rehearsal such as `tick --at`), everything due by
        then is sent, skipped or rescheduled, and nothing sleeps. Live (no `now`), the pass
        paces its posts and waits out a workspace-wide rate limit, up to `max_seconds` in
        all, since every other delivery would be refused meanwhile."""
        report = DispatchReport()
        started = time.monotonic()
        self.live = now is None  # live passes pace; rehearsals only honour holds
        self.calendars = Calendars(self.holidays)  # blackouts as of this pass
        while not self.stopping.is_set():
            batch = self._claim_batch(now)
            for outcome in batch.outcomes:
                report.add(outcome)
            # Slack answers in tens to hundreds of milliseconds; a few posts in flight keep
            # a worker at the rate Slack allows instead of at one round trip per nudge.
            for outcome in self.pool.map(lambda i: self._deliver_safely(i, now), batch.one_by_one):
                report.add(outcome)
            for outcome in self._post_batch(batch, now):
                report.add(outcome)
            if batch.claimed:
                continue
            wait = self._workspace_wait()
            if now is not None or wait is None or time.monotonic() - started + wait > max_seconds:
                return report
            self.stopping.wait(min(wait, GATE_SLICE_SECONDS))
        return report

    def _workspace_wait(self) -> float | None:
        """The shortest wait for a workspace whose whole budget is spent, if any is."""
        at = self.clock()
        with self.gates_lock:
            gates = list(self.gates.values())
        waits = [wait for gate in gates if (wait := gate.workspace_wait(at)) is not None]
        return min(waits, default=None)

    def _gate(self, workspace: Workspace) -> RateGate:
        with self.gates_lock:
            return self.gates.setdefault(workspace.id, RateGate())

    def _route(self, workspace: Workspace) -> Route | None:
        """The workspace's client and gate; None when Rounds cannot act there."""
        client = self.clients.client_for(workspace)
        if client is None:
            return None
        return Route(workspace, client, self._gate(workspace))

    # --- batches -----------------------------------------------------------------------------

    def _claim_batch(self, now: datetime | None) -> Batch:
        """Claim up to BATCH due deliveries and, in the same transaction, decide each one and
        mark those about to be posted in doubt. Commits before anything is posted."""
        real_now = self.clock()
        moment = now or real_now
        batch = Batch(lease_until=real_now + LEASE)
        with self.sessions() as session:
            claimed = claim_due(
                session, due_by=moment, now=real_now, lease=LEASE, worker=self.worker, limit=BATCH
            )
            batch.claimed = len(claimed)
            pairs = load_pairs(session, {d.pair_id for d in claimed if d.pair_id is not None})
            prompts = {
                d.pair_id
                for d in claimed
                if d.kind is DeliveryKind.PROMPT and d.pair_id is not None
            }
            goals_by_pair = open_goals_by_pair(session, prompts)
            sent_by_pair = prompts_sent_by_pair(session, pair_ids=prompts)
            paced_from = time.monotonic()
            for delivery in claimed:
                if self._one_by_one(delivery):
                    batch.one_by_one.append(delivery.id)
                    continue
                assert delivery.pair is not None  # a person's deliveries go one by one
                if delivery.pair.workspace.uninstalled_at is not None:
                    # Uninstalled: nothing more goes out, whatever was planned.
                    batch.outcomes.append(
                        self._finish(
                            session,
                            delivery,
                            DeliveryStatus.SKIPPED,
                            workspaces.UNINSTALLED,
                            moment,
                            commit=False,
                        )
                    )
                    continue
                try:
                    ready = self._prepare(session, delivery, goals_by_pair, sent_by_pair, moment)
                except Exception:
                    log.exception("delivery %s could not be prepared", delivery.id)
                    batch.one_by_one.append(delivery.id)  # its own pass reports what happens
                    continue
                if ready is None:
                    batch.one_by_one.append(delivery.id)
                    continue
                if isinstance(ready, str):
                    batch.outcomes.append(ready)
                    continue
                if now is None:
                    # Live: post no faster than Slack's one message a second per channel.
                    gate = self._gate(ready.workspace)
                    ready.slot = gate.reserve_slot(ready.target, paced_from)
                    if ready.slot - paced_from > PACING_HORIZON.total_seconds():
                        until = moment + timedelta(seconds=ready.slot - paced_from)
                        self._hand_back(delivery, until)
                        batch.outcomes.append("retrying")
                        continue
                delivery.in_doubt = True  # committed before the post: see the module docstring
                batch.ready.append(ready)
            session.commit()
            del pairs  # held until here: the session keeps loaded objects only weakly
        batch.ready.sort(key=lambda ready: ready.slot)
        batch.unfinished = {ready.delivery_id for ready in batch.ready}
        return batch

    @staticmethod
    def _one_by_one(delivery: Delivery) -> bool:
        return (
            delivery.in_doubt  # Slack may have it: look for the post first
            or delivery.attempts > MAX_ATTEMPTS
            or delivery.pair is None  # a person's delivery (the coordinators' digest)
            or delivery.kind is DeliveryKind.COORDINATOR_ALERT  # several recipients
        )

    def _prepare(
        self,
        session: Session,
        delivery: Delivery,
        goals_by_pair: dict[int, list[Goal]],
        sent_by_pair: dict[int, int],
        now: datetime,
    ) -> Ready | str | None:
        """What to post for a claimed delivery, its outcome when it is not posted now, or
        None when it must go one by one (its first post opens the check-in space, or it
        goes to several people)."""
        pair = delivery.pair
        assert pair is not None  # a person's deliveries go one by one
        calendar = self._calendar(session, pair, now)
        decision = decide(session, delivery, pair, hours=self.hours, now=now, calendar=calendar)
        if decision.verdict is Verdict.SKIP:
            return self._finish(
                session, delivery, DeliveryStatus.SKIPPED, decision.reason, now, commit=False
            )
        if decision.verdict is Verdict.LATER:
            assert decision.at is not None
            delivery.status, delivery.due_at, delivery.lease_expires_at = (
                DeliveryStatus.SCHEDULED,
                decision.at,
                None,
            )
            delivery.outcome = decision.reason
            delivery.attempts -= 1  # waiting for working hours is not an attempt
            return "retrying"
        outgoing = self._compose(
            session,
            delivery,
            pair,
            now=now,
            goals=goals_by_pair.get(pair.id, []),
            prompts_before=sent_by_pair.get(pair.id, 0),
        )
        if outgoing is None or len(outgoing.recipients) > 1:
            return None
        recipient = outgoing.recipients[0] if outgoing.recipients else None
        if recipient is not None:
            target = recipient.dm_channel_id or recipient.slack_user_id
        elif delivery.channel_id or pair.checkin_channel_id:
            target = delivery.channel_id or str(pair.checkin_channel_id)
        else:
            return None
        held = self._gate(pair.workspace).held_until(target, now)
        if held is not None:
            self._hand_back(delivery, held)
            return "retrying"
        return Ready(
            delivery_id=delivery.id,
            pair_id=pair.id,
            kind=delivery.kind,
            period=delivery.period,
            target=target,
            recipient_id=recipient.id if recipient is not None else None,
            known_dm=recipient.dm_channel_id if recipient is not None else None,
            outgoing=outgoing,
            follow_up_at=(
                follow_up_due(delivery, pair, hours=self.hours, now=now, calendar=calendar)
                if delivery.kind is DeliveryKind.PROMPT
                else None
            ),
            workspace=pair.workspace,
        )

    @staticmethod
    def _hand_back(delivery: Delivery, until: datetime) -> None:
        """Unclaim a delivery held back before posting: not before `until`, no attempt spent."""
        delivery.status = DeliveryStatus.SCHEDULED
        delivery.not_before = until
        delivery.attempts -= 1
        delivery.lease_expires_at = None
        delivery.claimed_by = None
        delivery.outcome = "ratelimited"

    def _post_batch(self, batch: Batch, now: datetime | None) -> list[str]:
        if not batch.ready:
            return []
        # Each workspace's client, found after the claim committed: finding a token may mean
        # refreshing it, in a transaction of its own.
        routes: dict[int, Route | None] = {}
        for ready in batch.ready:
            if ready.workspace.id not in routes:
                routes[ready.workspace.id] = self._route(ready.workspace)
        results = list(
            self.pool.map(
                lambda ready: self._post_ready(batch, ready, routes[ready.workspace.id], now),
                batch.ready,
            )
        )
        return self._record(batch, results, now or self.clock())

    def _post_ready(
        self, batch: Batch, ready: Ready, route: Route | None, now: datetime | None
    ) -> Posted:
        if route is None:
            with batch.lock:
                batch.unfinished.discard(ready.delivery_id)
            return Posted(ready, not_installed=True)
        if now is None:
            delay = ready.slot - time.monotonic()
            if delay > 0:
                self.stopping.wait(delay)  # the channel's next free second
        moment = now or self.clock()
        if self.stopping.is_set():
            return Posted(ready, held=None, unstarted=True)  # the process is stopping
        try:
            held = route.gate.held_until(ready.target, moment)
            if held is not None:
                return Posted(ready, held=held)
            if not self._still_leased(batch, ready):
                return Posted(ready, lost=True)
            if now is None:
                route.gate.wait_for_turn(ready.target)
            try:
                channel, ts = post_nudge(
                    route.client,
                    channel=ready.target,
                    text=ready.outgoing.text,
                    blocks=ready.outgoing.blocks,
                    metadata=nudge_blocks.metadata(ready.delivery_id),
                    thread_ts=ready.outgoing.thread_ts,
                )
            except Exception as error:
                fault = classify(error)  # re-raises what is not a Slack fault
                if fault.kind is FaultKind.RATE_LIMITED:
                    route.gate.rate_limited(ready.target, moment, fault.retry_after)
                return Posted(ready, fault=fault, route=route)
            route.gate.posted(ready.target, moment)
            return Posted(ready, channel=channel, ts=ts)
        except Exception as error:
            log.exception("delivery %s failed unexpectedly", ready.delivery_id)
            return Posted(ready, unexpected=error)
        finally:
            with batch.lock:
                batch.unfinished.discard(ready.delivery_id)

    def _still_leased(self, batch: Batch, ready: Ready) -> bool:
        """Is the claim still ours, with enough lease left to post? Renews the batch's
        leases together, in one statement, when they run low."""
        with batch.lock:
            real_now = self.clock()
            if real_now >= batch.lease_until - RENEW_WHEN_LEFT:
                with self.sessions() as session:
                    held = renew_leases(
                        session,
                        delivery_ids=batch.unfinished,
                        worker=self.worker,
                        now=real_now,
                        lease=LEASE,
                    )
                batch.lost |= batch.unfinished - held
                batch.lease_until = real_now + LEASE
            return ready.delivery_id not in batch.lost

    def _record(self, batch: Batch, results: list[Posted], now: datetime) -> list[str]:
        """Commit the outcomes of a batch's posts together; faults go one by one."""
        outcomes: list[str] = []
        sent = [r for r in results if r.ts is not None]
        held = [r for r in results if r.held is not None]
        with self.sessions() as session:
            mark_sent(
                session,
                sent=[Sent(r.ready.delivery_id, r.channel or "", r.ts or "") for r in sent],
                worker=self.worker,
                now=now,
            )
            insert_many_ignoring_duplicates(
                session,
                Delivery,
                rows_for(
                    [
                        {
                            "pair_id": r.ready.pair_id,
                            "kind": DeliveryKind.FOLLOW_UP,
                            "period": r.ready.period,
                            "due_at": r.ready.follow_up_at,
                            "created_at": now,
                            "thread_ts": r.ts,
                            "channel_id": r.channel,
                        }
                        for r in sent
                        if r.ready.follow_up_at is not None
                    ]
                ),
            )
            # The pairs that have now been told their hours never meet (bot.domain.hours).
            note_hours_clash_told(
                session,
                pair_ids=[r.ready.pair_id for r in sent if r.ready.outgoing.tells_hours_clash],
                now=now,
            )
            remember_dm_channels(
                session,
                {
                    r.ready.recipient_id: r.channel
                    for r in sent
                    if r.ready.recipient_id is not None
                    and r.channel is not None
                    and r.channel != r.ready.known_dm
                },
            )
            release_unposted(
                session,
                until=[(r.ready.delivery_id, r.held) for r in held if r.held is not None],
                worker=self.worker,
            )
            skip_unposted(
                session,
                delivery_ids=[r.ready.delivery_id for r in results if r.not_installed],
                worker=self.worker,
                outcome=NOT_INSTALLED,
                now=now,
            )
            # Stopping: what never started is due again at once, for any dispatcher.
            release_unposted(
                session,
                until=[(r.ready.delivery_id, None) for r in results if r.unstarted],
                worker=self.worker,
                outcome="released: the worker stopped",
            )
            session.commit()
        unstarted = sum(1 for r in results if r.unstarted)
        outcomes += ["sent"] * len(sent) + ["retrying"] * (len(held) + unstarted)
        outcomes += ["skipped"] * sum(1 for r in results if r.not_installed)
        for result in results:
            if result.lost:
                outcomes.append("retrying")  # another dispatcher has it now
            elif result.unexpected is not None:
                outcomes.append(
                    self._after_unexpected(result.ready.delivery_id, result.unexpected, now)
                )
            elif result.fault is not None:
                outcomes.append(
                    self._fault_of(result.ready.delivery_id, result.fault, now, result.route)
                )
        return outcomes

    def _fault_of(self, delivery_id: int, fault: Fault, now: datetime, route: Route | None) -> str:
        """A batch's post Slack refused or did not answer: handled as one delivery's fault."""
        try:
            with self.sessions() as session:
                delivery = session.get(Delivery, delivery_id, options=WITH_PAIR_AND_MEMBERS)
                if not self._still_claimed(delivery):
                    return "retrying"
                assert delivery is not None
                # This attempt was its first possible post (in-doubt ones go one by one), and
                # a refused post never landed: only that is known not to be in Slack.
                failure = SendFailedError(fault, nothing_posted=True)
                return self._fault(session, delivery, delivery.pair, failure, now, route)
        except Exception:
            log.exception("delivery %s could not be rescheduled", delivery_id)
            return "retrying"

    def _deliver_safely(self, delivery_id: int, now: datetime | None) -> str:
        if self.stopping.is_set():
            with self.sessions.begin() as session:
                release_unstarted(session, delivery_id=delivery_id, worker=self.worker)
            return "retrying"
        moment = now or self.clock()
        try:
            return self.deliver(delivery_id, now=moment)
        except Exception as error:
            # A bug or an answer nobody foresaw, not a Slack fault we know: retried with
            # backoff like a server error, so it neither stays claimed nor loops for ever.
            log.exception("delivery %s failed unexpectedly", delivery_id)
            return self._after_unexpected(delivery_id, error, moment)

    def _after_unexpected(self, delivery_id: int, error: Exception, now: datetime) -> str:
        reason = f"unexpected {type(error).__name__}"
        try:
            with self.sessions() as session:
                delivery = session.get(Delivery, delivery_id)
                if not self._still_claimed(delivery):
                    return "retrying"
                assert delivery is not None
                # in_doubt is as last committed: set once a post may have gone out.
                if delivery.attempts >= MAX_ATTEMPTS:
                    return self._finish(
                        session,
                        delivery,
                        DeliveryStatus.FAILED,
                        f"gave up after {delivery.attempts} attempts: {reason}",
                        now,
                    )
                self._retry_later(session, delivery, reason, now)
                return "retrying"
        except Exception:
            # The database is unwell too: the lease runs out and the claim is retried.
            log.exception("delivery %s could not be rescheduled", delivery_id)
            return "retrying"

    def _still_claimed(self, delivery: Delivery | None) -> bool:
        return (
            delivery is not None
            and delivery.status is DeliveryStatus.SENDING
            and delivery.claimed_by == self.worker
        )

    def deliver(self, delivery_id: int, *, now: datetime) -> str:
        with self.sessions() as session:
            delivery = session.get(Delivery, delivery_id, options=WITH_PAIR_AND_MEMBERS)
            if not self._still_claimed(delivery):
                return "retrying"  # someone re-claimed it after our lease ran out
            assert delivery is not None
            pair = delivery.pair
            workspace = pair.workspace if pair is not None else None
            if workspace is None and delivery.person is not None:
                workspace = delivery.person.workspace
            if workspace is not None and workspace.uninstalled_at is not None:
                # Uninstalled: nothing more goes out, whatever was planned.
                return self._finish(
                    session, delivery, DeliveryStatus.SKIPPED, workspaces.UNINSTALLED, now
                )
            # Finding the workspace's token may mean refreshing it, in a transaction of its
            # own; on SQLite this one must not hold the write lock meanwhile.
            session.commit()
            route = self._route(workspace) if workspace is not None else None
            if route is None:
                return self._finish(session, delivery, DeliveryStatus.SKIPPED, NOT_INSTALLED, now)
            if pair is None:
                return self._deliver_to_person(session, delivery, route, now)
            outgoing = self._compose(session, delivery, pair, now=now)
            if outgoing is None:
                return self._finish(
                    session, delivery, DeliveryStatus.SKIPPED, "no coordinator to tell", now
                )
            already: dict[str, tuple[str, str]] = {}
            if delivery.in_doubt:
                # Slack may have this post already: that comes before any rule. A prompt
                # the mentee saw is sent, even when its day has passed since.
                try:
                    already = self._earlier_posts(route, delivery, pair, outgoing)
                except Exception as error:
                    return self._fault(
                        session, delivery, pair, SendFailedError(classify(error)), now, route
                    )
            if not already:
                if delivery.attempts > MAX_ATTEMPTS:
                    # Only a claimer that died mid-send spends an attempt without a verdict.
                    return self._finish(
                        session,
                        delivery,
                        DeliveryStatus.FAILED,
                        f"gave up after {MAX_ATTEMPTS} attempts: the sender stopped mid-send",
                        now,
                    )
                decision = decide(
                    session,
                    delivery,
                    pair,
                    hours=self.hours,
                    now=now,
                    calendar=self._calendar(session, pair, now),
                )
                if decision.verdict is Verdict.SKIP:
                    return self._finish(
                        session, delivery, DeliveryStatus.SKIPPED, decision.reason, now
                    )
                if decision.verdict is Verdict.LATER:
                    assert decision.at is not None
                    delivery.status, delivery.due_at, delivery.lease_expires_at = (
                        DeliveryStatus.SCHEDULED,
                        decision.at,
                        None,
                    )
                    delivery.outcome = decision.reason
                    delivery.attempts -= 1  # waiting for working hours is not an attempt
                    session.commit()
                    return "retrying"
            return self._post(session, route, delivery, pair, outgoing, already=already, now=now)

    def _post(
        self,
        session: Session,
        route: Route,
        delivery: Delivery,
        pair: Pair | None,
        outgoing: Outgoing,
        *,
        already: dict[str, tuple[str, str]],
        now: datetime,
    ) -> str:
        try:
            self._send(session, route, delivery, pair, outgoing, already=already, now=now)
        except LostClaimError:
            session.rollback()
            return "retrying"  # our lease ran out and another dispatcher has it now
        except SendFailedError as failure:
            return self._fault(session, delivery, pair, failure, now, route)
        except Exception as error:
            # A lookup or space opening failed: nothing new was posted by this attempt.
            fault = SendFailedError(classify(error))
            return self._fault(session, delivery, pair, fault, now, route)
        return "sent"

    def _calendar(self, session: Session, pair: Pair, now: datetime) -> WorkingCalendar:
        return self.calendars.for_workspace(session, pair.workspace_id, now=now)

    def _deliver_to_person(
        self, session: Session, delivery: Delivery, route: Route, now: datetime
    ) -> str:
        """A delivery addressed to a person, not a pair: the coordinators' weekly digest."""
        person = delivery.person
        if person is None or delivery.kind is not DeliveryKind.DIGEST:
            return self._finish(session, delivery, DeliveryStatus.SKIPPED, "no recipient", now)
        already: dict[str, tuple[str, str]] = {}
        if delivery.in_doubt:
            # As for a pair's nudges: a digest Slack already has is sent, whatever the rules.
            try:
                already = self._earlier_posts(route, delivery, None, Outgoing([person], "", []))
            except Exception as error:
                fault = SendFailedError(classify(error))
                return self._fault(session, delivery, None, fault, now, route)
        if already:
            outgoing = Outgoing([person], "", [])
        else:
            decision = decide_digest(
                delivery, person, configured=self.configured_coordinators, now=now
            )
            if decision.verdict is Verdict.SKIP:
                return self._finish(session, delivery, DeliveryStatus.SKIPPED, decision.reason, now)
            attention = needs_attention(
                session,
                workspace_id=person.workspace_id,
                now=now,
                limit=15,
                calendar=self.calendars.for_workspace(session, person.workspace_id, now=now),
            )
            if not attention:
                return self._finish(session, delivery, DeliveryStatus.SKIPPED, NOTHING_TO_SAY, now)
            viewer = Zoned(person.slack_user_id, person.tz)
            outgoing = Outgoing([person], *program_blocks.digest(attention, viewer=viewer))
        return self._post(session, route, delivery, None, outgoing, already=already, now=now)

    # --- composing ---------------------------------------------------------------------------

    def _compose(
        self,
        session: Session,
        delivery: Delivery,
        pair: Pair,
        *,
        now: datetime,
        goals: Sequence[Goal] | None = None,
        prompts_before: int | None = None,
    ) -> Outgoing | None:
        """The message for a delivery; a batch hands in what it read for all its deliveries
        at once: the pair's open goals, and how many prompts the pair has seen."""
        mentee, mentor = pair.mentee.slack_user_id, pair.mentor.slack_user_id
        composed = relationship.compose(session, delivery, pair)
        if composed is not None:
            return Outgoing(composed.recipients, composed.text, composed.blocks)
        if delivery.kind is DeliveryKind.PROMPT:
            if goals is None:
                goals = goal_rules.open_goals_of_pair(session, pair)
            open_goals = [
                GoalLine(goal.number, goal.text, goal.due_on.isoformat() if goal.due_on else None)
                for goal in goals
            ]
            notices = self._hours_clash_notices(pair, now=now)
            text, blocks = nudge_blocks.prompt(
                pair_id=pair.id,
                mentee=mentee,
                mentor=mentor,
                goals=open_goals,
                theme=(
                    theme_for(prompts_before)
                    if prompts_before is not None
                    else theme_of_next_prompt(session, pair)
                ).value,
                notices=notices,
            )
            return Outgoing([], text, blocks, tells_hours_clash=bool(notices))
        if delivery.kind is DeliveryKind.FOLLOW_UP:
            text, blocks = nudge_blocks.follow_up(mentee=mentee, mentor=mentor)
            return Outgoing([], text, blocks, thread_ts=delivery.thread_ts)
        if delivery.kind is DeliveryKind.GRATITUDE:
            return Outgoing([pair.mentee], *nudge_blocks.gratitude(pair_id=pair.id, mentor=mentor))
        if delivery.kind is DeliveryKind.WELCOME:
            cadence = cadence_of(pair)
            text, blocks = pair_blocks.welcome(
                mentee=mentee,
                mentor=mentor,
                cadence=times.rhythm(
                    cadence.frequency(),
                    cadence.weekday,
                    cadence.at,
                    owner=Zoned(mentee, pair.mentee.tz),
                    viewer=None,
                    others=[Zoned(mentor, pair.mentor.tz)],
                    reference=now,
                ),
            )
            notices = self._hours_clash_notices(pair, now=now)
            return Outgoing([], text, blocks + notices, tells_hours_clash=bool(notices))
        coordinators = self._coordinators(session, pair)
        if not coordinators:
            log.warning(
                "pair %s was paused (%s) but no coordinator is known", pair.id, pair.paused_reason
            )
            return None
        text, blocks = nudge_blocks.coordinator_alert(
            mentee=mentee, mentor=mentor, reason=pair.paused_reason or "?"
        )
        return Outgoing(coordinators, text, blocks)

    def _hours_clash_notices(self, pair: Pair, *, now: datetime) -> list[dict[str, Any]]:
        """Hours that never overlap are told once, with the welcome or the prompt that
        follows the mentee's hours; marked as told only once that message is out."""
        clash = clash_to_tell(pair, default=self.hours, now=now, mark=False)
        if clash is None:
            return []
        return hours_blocks.clash_notice(
            mentee=Zoned(pair.mentee.slack_user_id, pair.mentee.tz),
            mentor=Zoned(pair.mentor.slack_user_id, pair.mentor.tz),
            mentee_hours=clash.mentee_hours,
            mentor_hours=clash.mentor_hours,
        )

    def _coordinators(self, session: Session, pair: Pair) -> list[Person]:
        return list(
            people.coordinators(
                session, workspace=pair.workspace, configured=self.configured_coordinators
            )
        )

    # --- sending -----------------------------------------------------------------------------

    def _earlier_posts(
        self, route: Route, delivery: Delivery, pair: Pair | None, outgoing: Outgoing
    ) -> dict[str, tuple[str, str]]:
        """This delivery's posts Slack already has, found by their metadata: target ->
        (channel, ts). A target is a recipient's DM (as `_send` names it) or the space."""

        def ours(message: dict[str, Any]) -> bool:
            return nudge_blocks.delivery_id_of(message) == delivery.id

        found: dict[str, tuple[str, str]] = {}

        def look(target: str, channel: str) -> None:
            ts = find_own_post(
                route.client, channel=channel, thread_ts=outgoing.thread_ts, matches=ours
            )
            if ts:
                found[target] = (channel, ts)

        for person in outgoing.recipients:
            channel = person.dm_channel_id or dm_channel(route.client, person.slack_user_id)
            look(person.dm_channel_id or person.slack_user_id, channel)
        if not outgoing.recipients:
            # The space is committed before any post to it: no space, nothing was posted.
            space = delivery.channel_id or (pair.checkin_channel_id if pair else None)
            if space:
                look(space, space)
        return found

    def _send(
        self,
        session: Session,
        route: Route,
        delivery: Delivery,
        pair: Pair | None,
        outgoing: Outgoing,
        *,
        already: dict[str, tuple[str, str]],
        now: datetime,
    ) -> None:
        """Post to every target Slack does not have the post in yet (`already` holds those it
        has), then record the delivery as sent."""
        metadata = nudge_blocks.metadata(delivery.id)
        targets: list[tuple[str, Person | None]]
        if outgoing.recipients:
            targets = [
                (person.dm_channel_id or person.slack_user_id, person)
                for person in outgoing.recipients
            ]
        elif delivery.channel_id:
            targets = [(delivery.channel_id, None)]
        else:
            assert pair is not None, "only a pair's deliveries go to a check-in space"
            targets = [(self._open_space(route, pair, now), None)]
            session.commit()  # keep the space we just opened, whatever happens next
        was_in_doubt, reached, refused = delivery.in_doubt, [], []
        channel = ts = ""
        for target, person in targets:
            if target in already:
                channel, ts = already[target]
                reached.append(target)
                continue
            held = route.gate.held_until(target, now)
            if held is not None:
                raise SendFailedError(
                    None, nothing_posted=not (was_in_doubt or reached), until=held
                )
            # Committed before the post, and only while the claim is still ours: if we die
            # after Slack accepts it, the next claimer looks for the post first. The lease
            # runs from the real time, not from `now`, which a long pass left behind.
            if not claim_still_mine(
                session, delivery_id=delivery.id, worker=self.worker, now=self.clock(), lease=LEASE
            ):
                raise LostClaimError(delivery.id)
            try:
                channel, ts = post_nudge(
                    route.client,
                    channel=target,
                    text=outgoing.text,
                    blocks=outgoing.blocks,
                    metadata=metadata,
                    thread_ts=outgoing.thread_ts,
                )
            except Exception as error:
                fault = classify(error)
                if fault.kind is FaultKind.RATE_LIMITED:
                    route.gate.rate_limited(target, now, fault.retry_after)
                if fault.kind is FaultKind.PERMANENT and len(targets) > 1:
                    # One coordinator who left must not keep the others from hearing.
                    refused.append(fault)
                    continue
                raise SendFailedError(
                    fault, nothing_posted=not (was_in_doubt or reached)
                ) from error
            reached.append(target)
            route.gate.posted(target, now)
            if person is not None:
                person.dm_channel_id = channel
        if not reached:
            raise SendFailedError(refused[-1], nothing_posted=not was_in_doubt)
        delivery.channel_id, delivery.ts = channel, ts
        if outgoing.tells_hours_clash and pair is not None:
            note_clash_told(pair, now=now)
        self._finish(session, delivery, DeliveryStatus.SENT, "sent", now, commit=False)
        if delivery.kind is DeliveryKind.PROMPT and pair is not None:
            plan_follow_up(
                session,
                delivery,
                pair,
                hours=self.hours,
                now=now,
                calendar=self._calendar(session, pair, now),
            )
        session.commit()

    def _open_space(self, route: Route, pair: Pair, now: datetime) -> str:
        """The pair's check-in space, opened now (conversations.open) if it has none yet:
        paced on live passes, and held for Retry-After once Slack refuses an opening."""
        if pair.checkin_channel_id:
            return pair.checkin_channel_id
        held = route.gate.opening_held_until(now)
        if held is not None:
            # No space, so nothing of this delivery can have been posted.
            raise SendFailedError(None, nothing_posted=True, until=held)
        if self.live:
            route.gate.wait_to_open()
        try:
            space = ensure_checkin_space(route.client, pair)
        except SlackApiError as error:
            fault = classify(error)
            if fault.kind is FaultKind.RATE_LIMITED:
                route.gate.opening_refused(now, fault.retry_after)
                raise SendFailedError(fault, nothing_posted=True) from error
            raise
        route.gate.opened()
        return space

    def _finish(
        self,
        session: Session,
        delivery: Delivery,
        status: DeliveryStatus,
        outcome: str,
        now: datetime,
        *,
        commit: bool = True,
    ) -> str:
        delivery.status = status
        delivery.outcome = outcome[:200]
        delivery.finished_at = now
        delivery.lease_expires_at = None
        delivery.in_doubt = False
        if commit:
            session.commit()
        return {
            DeliveryStatus.SENT: "sent",
            DeliveryStatus.SKIPPED: "skipped",
            DeliveryStatus.FAILED: "failed",
        }[status]

    def _fault(
        self,
        session: Session,
        delivery: Delivery,
        pair: Pair | None,
        failure: SendFailedError,
        now: datetime,
        route: Route | None = None,
    ) -> str:
        session.rollback()  # drop whatever the failed send left half-done; the row is reloaded
        fault = failure.fault
        if fault is None or fault.kind is FaultKind.RATE_LIMITED:
            # Slack refused to listen (or would have): wait as long as it asks, without
            # holding up other deliveries. Only a refused post is known not to have landed.
            until = failure.until or now + timedelta(seconds=fault.retry_after if fault else 1)
            delivery.status = DeliveryStatus.SCHEDULED
            delivery.not_before = until
            if failure.nothing_posted:
                delivery.in_doubt = False
            delivery.attempts -= 1  # a refusal to listen is not an attempt
            delivery.lease_expires_at = None
            delivery.outcome = "ratelimited"
            session.commit()
            return "retrying"
        log.warning(
            "delivery %s (%s, pair %s): %s",
            delivery.id,
            delivery.kind.value,
            delivery.pair_id,
            fault.reason,
        )
        if route is not None and self.clients.many_workspaces and fault.reason in APP_GONE:
            # The workspace's token no longer works: Rounds was uninstalled there (its event
            # may still be on its way). Stop nudging it, as the event would; tell nobody.
            self.clients.token_refused(route.workspace)
            workspaces.token_refused(session, workspace=route.workspace, now=now)
            return self._finish(
                session,
                delivery,
                DeliveryStatus.SKIPPED,
                f"{workspaces.UNINSTALLED}: {fault.reason}",
                now,
            )
        if fault.kind is FaultKind.TRANSIENT and delivery.attempts < MAX_ATTEMPTS:
            self._retry_later(session, delivery, fault.reason, now)
            return "retrying"
        if fault.kind is FaultKind.TRANSIENT:
            return self._finish(
                session,
                delivery,
                DeliveryStatus.FAILED,
                f"gave up after {delivery.attempts} attempts: {fault.reason}",
                now,
            )
        if (
            fault.kind is FaultKind.PERMANENT
            and pair is not None
            and pair.state in (PairState.ACTIVE, PairState.PAUSED)
            and delivery.kind is not DeliveryKind.COORDINATOR_ALERT
        ):
            pair.state = PairState.PAUSED
            pair.paused_until = None
            pair.paused_reason = fault.reason
            plan_coordinator_alert(session, pair=pair, reason=fault.reason, now=now)
        return self._finish(session, delivery, DeliveryStatus.FAILED, fault.reason, now)

    def _retry_later(
        self, session: Session, delivery: Delivery, reason: str, now: datetime
    ) -> None:
        delivery.status = DeliveryStatus.SCHEDULED
        delivery.not_before = now + backoff(delivery.attempts)
        delivery.lease_expires_at = None
        delivery.outcome = f"retrying: {reason}"[:200]
        session.commit()
