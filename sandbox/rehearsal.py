"""Moving the sandbox through time: Rounds' own planner and dispatcher run at each moment a nudge
comes due on the way, as they would have if the app had been running all along.

This module also plays the scheduler's part in the sandbox (a timer running the same pass every
half minute), so a jump and the timer never run a pass at the same moment.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.store.db import SessionFactory
from bot.store.models import Delivery, DeliveryStatus, Pair, PairState
from jobs.dispatcher import Dispatcher
from jobs.tick import tick
from sandbox.clock import ClockError, SandboxClock
from sandbox.fake_slack import FakeSlack

log = logging.getLogger("rounds.sandbox")

TIMER_SECONDS = 30
# Bounds on one jump, so a schedule that never settles cannot hang the page.
MAX_PASSES = 400
NEXT_NUDGE_HORIZON = timedelta(days=400)


@dataclass
class Jump:
    """What one move of the clock did."""

    started: datetime
    ended: datetime
    passes: int = 0
    # The bot's messages that arrived during the jump (fake Slack's public form).
    sent: list[dict[str, object]] = field(default_factory=list)


def upcoming(session: Session, *, after: datetime) -> datetime | None:
    """The first moment after `after` at which a pass of the planner and dispatcher has work:
    an outbox row coming due, a pair's next prompt, or the end of a pair's pause."""
    moments: list[datetime] = []
    for due_at, not_before in session.execute(
        select(Delivery.due_at, Delivery.not_before).where(
            Delivery.status == DeliveryStatus.SCHEDULED
        )
    ):
        moments.append(max(due_at, not_before) if not_before else due_at)
    moments += [
        lease
        for lease in session.scalars(
            select(Delivery.lease_expires_at).where(Delivery.status == DeliveryStatus.SENDING)
        )
        if lease is not None
    ]
    pairs = session.scalars(
        select(Pair)
        .where(Pair.state.in_((PairState.ACTIVE, PairState.PAUSED)))
        .options(selectinload(Pair.mentee))
    )
    for pair in pairs:
        if pair.state is PairState.ACTIVE and pair.next_prompt_at is not None:
            moments.append(pair.next_prompt_at)
        elif pair.state is PairState.PAUSED and pair.paused_until is not None:
            moments.append(datetime.combine(pair.paused_until, time(0), _zone(pair.mentee.tz)))
    later = [moment for moment in moments if moment > after]
    return min(later, default=None)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class Rehearsal:
    def __init__(
        self,
        *,
        clock: SandboxClock,
        sessions: SessionFactory,
        dispatcher: Dispatcher,
        fake: FakeSlack,
    ) -> None:
        self.clock = clock
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._fake = fake
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    # --- the timer -------------------------------------------------------------------------

    def start_timer(self) -> None:
        self._timer = threading.Thread(target=self._beat, name="sandbox-timer", daemon=True)
        self._timer.start()

    def stop_timer(self) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=10)

    def _beat(self) -> None:
        while not self._stop.wait(TIMER_SECONDS):
            try:
                with self._lock:
                    self._pass()
            except Exception:
                log.exception("sandbox timer pass failed; the next one tries again")

    # --- jumps -----------------------------------------------------------------------------

    def next_nudge(self) -> Jump:
        """Move to the next moment Rounds sends something, and send it."""
        with self._lock:
            jump = self._begin()
            horizon = jump.started + NEXT_NUDGE_HORIZON
            self._pass()
            while not self._bot_messages_since(jump) and jump.passes < MAX_PASSES:
                moment = self._upcoming()
                if moment is None or moment > horizon:
                    break
                self.clock.advance_to(moment)
                self._pass()
                jump.passes += 1
            return self._finish(jump)

    def jump_to(self, moment: datetime) -> Jump:
        """Move to `moment`, running a pass at every moment something comes due on the way."""
        with self._lock:
            jump = self._begin()
            if moment <= jump.started:
                raise ClockError("The sandbox clock only moves forward; pick a later time.")
            self._pass()
            while jump.passes < MAX_PASSES:
                upcoming_moment = self._upcoming()
                if upcoming_moment is None or upcoming_moment > moment:
                    break
                self.clock.advance_to(upcoming_moment)
                self._pass()
                jump.passes += 1
            self.clock.advance_to(moment)
            self._pass()
            return self._finish(jump)

    def run_pass(self) -> None:
        with self._lock:
            self._pass()

    def _begin(self) -> Jump:
        now = self.clock.now()
        return Jump(started=now, ended=now)

    def _finish(self, jump: Jump) -> Jump:
        jump.ended = self.clock.now()
        jump.sent = self._bot_messages_since(jump)
        return jump

    def _pass(self) -> None:
        tick(self._sessions, self._dispatcher, now=self.clock.now())

    def _upcoming(self) -> datetime | None:
        with self._sessions() as session:
            return upcoming(session, after=self.clock.now())

    def _bot_messages_since(self, jump: Jump) -> list[dict[str, object]]:
        since = f"{jump.started.timestamp():.6f}"
        return [
            message
            for message in self._fake.messages()
            if message["user"] == self._fake.bot_user_id and float(message["ts"]) >= float(since)
        ]
