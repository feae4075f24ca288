"""What needs a coordinator's attention: pairs going cold, requests waiting for consent,
pairs paused by a delivery error, and students declined who have no mentor.

Counts cover the whole program; the items are the most urgent few, so the list fits a Home
tab or a DM at any program size.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.program.calendar import WEEKDAYS, WorkingCalendar
from bot.store import attention as attention_queries
from bot.store.models import Pair

CONSENT_WAIT_WORKING_DAYS = 3


class Reason(enum.StrEnum):
    # In order of urgency: a paused pair gets no nudges at all; a cold one is fading.
    PAUSED_BY_ERROR = "paused_by_error"
    GOING_COLD = "going_cold"
    DECLINED = "declined"
    WAITING_CONSENT = "waiting_consent"


URGENCY = tuple(Reason)


@dataclass(frozen=True)
class AttentionItem:
    reason: Reason
    pair_id: int
    mentee: str  # Slack user IDs: Slack shows them as names
    mentor: str
    days: int  # how long it has been like this
    last_checkin: datetime | None
    detail: str = ""  # the Slack error of a paused pair

    @property
    def live(self) -> bool:
        """Is there a pair to end? A declined request is already over."""
        return self.reason is not Reason.DECLINED


@dataclass(frozen=True)
class Attention:
    counts: dict[Reason, int] = field(default_factory=dict)
    items: list[AttentionItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    def __bool__(self) -> bool:
        return self.total > 0


def _days(since: datetime | None, now: datetime) -> int:
    return max(0, (now - since).days) if since is not None else 0


def working_days_between(start: date, end: date, calendar: WorkingCalendar) -> int:
    """Working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end and count < 1000:
        day = calendar.next_working_day(day)
        if day <= end:
            count += 1
    return count


def _item(reason: Reason, pair: Pair, *, days: int, detail: str = "") -> AttentionItem:
    return AttentionItem(
        reason=reason,
        pair_id=pair.id,
        mentee=pair.mentee.slack_user_id,
        mentor=pair.mentor.slack_user_id,
        days=days,
        last_checkin=pair.last_complete_checkin_at,
        detail=detail,
    )


def needs_attention(
    session: Session,
    *,
    workspace_id: int,
    now: datetime,
    limit: int = 12,
    calendar: WorkingCalendar = WEEKDAYS,
) -> Attention:
    """Counts per reason, and up to `limit` items, most urgent first (by reason, then the
    longest-standing)."""
    counts: dict[Reason, int] = {}
    found: dict[Reason, list[AttentionItem]] = {}

    counts[Reason.PAUSED_BY_ERROR], paused = attention_queries.paused_by_error(
        session, workspace_id=workspace_id, limit=limit
    )
    found[Reason.PAUSED_BY_ERROR] = [
        _item(Reason.PAUSED_BY_ERROR, pair, days=_days(at, now), detail=pair.paused_reason or "")
        for pair, at in paused
    ]

    counts[Reason.GOING_COLD], cold = attention_queries.going_cold(
        session, workspace_id=workspace_id, limit=limit
    )
    found[Reason.GOING_COLD] = [
        _item(
            Reason.GOING_COLD,
            pair,
            days=_days(pair.last_complete_checkin_at or pair.activated_at, now),
        )
        for pair in cold
    ]

    declined = attention_queries.declined_without_mentor(session, workspace_id=workspace_id)
    counts[Reason.DECLINED] = len(declined)
    found[Reason.DECLINED] = [
        _item(Reason.DECLINED, pair, days=_days(pair.ended_at, now)) for pair in declined
    ]
    found[Reason.DECLINED].sort(key=lambda item: -item.days)

    # Working days are counted in Python (blackouts too); calendar days narrow the rows first.
    today = now.date()
    waiting = []
    three_days_ago = now - timedelta(days=CONSENT_WAIT_WORKING_DAYS)
    for pair in attention_queries.pending_since(
        session, workspace_id=workspace_id, before=three_days_ago
    ):
        days = working_days_between(pair.requested_at.date(), today, calendar)
        if days >= CONSENT_WAIT_WORKING_DAYS:
            waiting.append(_item(Reason.WAITING_CONSENT, pair, days=days))
    counts[Reason.WAITING_CONSENT] = len(waiting)
    found[Reason.WAITING_CONSENT] = waiting

    items = [item for reason in URGENCY for item in found[reason]][:limit]
    return Attention(counts={reason: counts[reason] for reason in URGENCY}, items=items)
