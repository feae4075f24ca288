"""Claims due deliveries and sends them, exactly once.

Each delivery is claimed with a lease. Before posting, the delivery is marked `in_doubt`
and committed; the post carries the delivery ID in Slack message metadata. Whoever finds a
delivery still in doubt (its claimer crashed, or Slack did not answer) first looks for that
post, before deciding anything else, so a crash between Slack's answer and our commit never
sends twice, and a post Slack has is never recorded as skipped.

Two clocks: `now` says what is due and decides the nudge rules (a rehearsal such as
`tick --at` picks it); leases are always taken and renewed on the real clock (`clock`), so a
long pass never holds a claim that has already run out.

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
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, joinedload

from bot.blocks import hours as hours_blocks
from bot.blocks import nudges as nudge_blocks
from bot.blocks import pairs as pair_blocks
from bot.blocks import program as program_blocks
from bot.blocks import times
from bot.blocks.home import GoalLine
from bot.blocks.times import Zoned
from bot.domain import goals, people, workspaces
from bot.domain.cadence import WorkingHours
from bot.domain.hours import clash_to_tell, note_clash_told
from bot.domain.nudges import Verdict, decide, plan_coordinator_alert, plan_follow_up
from bot.domain.program.attention import needs_attention
from bot.domain.program.calendar import Calendars, WorkingCalendar
from bot.domain.program.digest import NOTHING_TO_SAY, decide_digest
from bot.domain.schedule import cadence_of
from bot.domain.themes import theme_of_next_prompt
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
    Pair,
    PairState,
    Person,
    Workspace,
)
from jobs import relationship

log = logging.getLogger("rounds.dispatcher")

LEASE = timedelta(minutes=2)
SENDERS = 4  # posts in flight per worker
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


class RateGate:
    """What this process has learned from Slack's 429s, so it does not knock again too soon.

    Slack limits chat.postMessage to about one message a second per channel, plus a
    workspace-wide budget, and a 429 does not say which one ran out. A 429 holds its own
    channel; a second 429 on another channel within the first one's wait means the
    workspace's budget is spent, and then every channel waits.
    """

    PER_CHANNEL_WINDOW = timedelta(seconds=1)

    def __init__(self) -> None:
        self.lock = threading.Lock()  # several senders share one gate
        self.channel_until: dict[str, datetime] = {}
        self.workspace_until: datetime | None = None
        self.last_post: dict[str, datetime] = {}
        self.suspect_until: datetime | None = None

    def held_until(self, channel: str, now: datetime) -> datetime | None:
        with self.lock:
            holds = [self.workspace_until, self.channel_until.get(channel)]
            return max((hold for hold in holds if hold is not None and hold > now), default=None)

    def posted(self, channel: str, now: datetime) -> None:
        with self.lock:
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
                self.workspace_until = max(until, self.workspace_until or until)
            else:
                self.suspect_until = until

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

    def run(self, *, now: datetime | None = None, max_seconds: float = 50.0) -> DispatchReport:
        """Send everything due. With `now` (a rehearsal such as `tick --at`), everything due by
        then is sent, skipped or rescheduled, and nothing sleeps. Live (no `now`), the pass
        also waits out a workspace-wide rate limit, up to `max_seconds` in all, since every
        other delivery would be refused meanwhile."""
        report = DispatchReport()
        started = time.monotonic()
        self.calendars = Calendars(self.holidays)  # blackouts as of this pass
        while not self.stopping.is_set():
            real_now = self.clock()
            with self.sessions.begin() as session:
                claimed = [
                    d.id
                    for d in claim_due(
                        session,
                        due_by=now or real_now,
                        now=real_now,
                        lease=LEASE,
                        worker=self.worker,
                        limit=BATCH,
                    )
                ]
            # Slack answers in tens to hundreds of milliseconds; a few posts in flight keep
            # a worker at the rate Slack allows instead of at one round trip per nudge.
            for outcome in self.pool.map(lambda i: self._deliver_safely(i, now), claimed):
                report.add(outcome)
            if claimed:
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
        self, session: Session, delivery: Delivery, pair: Pair, *, now: datetime
    ) -> Outgoing | None:
        mentee, mentor = pair.mentee.slack_user_id, pair.mentor.slack_user_id
        composed = relationship.compose(session, delivery, pair)
        if composed is not None:
            return Outgoing(composed.recipients, composed.text, composed.blocks)
        if delivery.kind is DeliveryKind.PROMPT:
            open_goals = [
                GoalLine(goal.number, goal.text, goal.due_on.isoformat() if goal.due_on else None)
                for goal in goals.open_goals_of_pair(session, pair)
            ]
            notices = self._hours_clash_notices(pair, now=now)
            text, blocks = nudge_blocks.prompt(
                pair_id=pair.id,
                mentee=mentee,
                mentor=mentor,
                goals=open_goals,
                theme=theme_of_next_prompt(session, pair).value,
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
            targets = [(ensure_checkin_space(route.client, pair), None)]
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
