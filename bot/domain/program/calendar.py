"""The academic calendar: days without nudges (exam weeks, breaks, public holidays).

A WorkingCalendar answers "is this local date a working day?" for one workspace: a weekday
that is neither a blackout nor a public holiday of ROUNDS_HOLIDAYS. Nudges never go out on a
blackout day in the recipient's local date; a prompt that falls in one moves to the first
working day after it, and follow-ups count working days around blackouts.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy.orm import Session

from bot.domain.errors import UserError
from bot.store import blackouts as blackout_queries
from bot.store.models import Blackout

MAX_BLACKOUT = timedelta(days=366)
MAX_NAME = 100
# Looking further than this for a working day means the calendar is (nearly) all blackout.
MAX_SEARCH_DAYS = 400
CALENDAR_EXAMPLE = "/mentor calendar add 2027-03-15..2027-03-19 Spring break"


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekdays minus `closed` (local date → why)."""

    closed: Mapping[date, str] = field(default_factory=dict)

    def blackout_on(self, day: date) -> str | None:
        return self.closed.get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.closed

    def add_working_days(self, day: date, count: int) -> date:
        for _ in range(MAX_SEARCH_DAYS):
            if count <= 0:
                return day
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def next_working_day(self, day: date) -> date:
        return self.add_working_days(day, 1)

    def first_working_day_from(self, day: date) -> date:
        """`day` itself if it is a working day, else the next one."""
        return day if self.is_working_day(day) else self.next_working_day(day)


WEEKDAYS = WorkingCalendar()


@lru_cache(maxsize=64)
def public_holidays(spec: str, year: int) -> Mapping[date, str]:
    """Public holidays of a country code (`US`) or subdivision (`US-CA`) in one year."""
    import holidays

    country, _, subdivision = spec.partition("-")
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return {day: str(name) for day, name in sorted(found.items())}


def _expand(blackouts: Sequence[Blackout]) -> dict[date, str]:
    closed: dict[date, str] = {}
    for blackout in blackouts:
        day = blackout.starts_on
        while day <= blackout.ends_on:
            closed.setdefault(day, blackout.name)
            day += timedelta(days=1)
    return closed


def calendar_for(
    session: Session, *, workspace_id: int, holidays: str | None, today: date
) -> WorkingCalendar:
    """The workspace's calendar from a month ago on: its blackouts and public holidays."""
    since = today - timedelta(days=31)
    closed = _expand(
        blackout_queries.ending_on_or_after(session, workspace_id=workspace_id, day=since)
    )
    if holidays:
        for year in range(today.year - 1, today.year + 3):
            for day, name in public_holidays(holidays, year).items():
                closed.setdefault(day, name)
    return WorkingCalendar(closed)


class Calendars:
    """Workspace calendars loaded once per scheduler pass (blackouts change rarely)."""

    def __init__(self, holidays: str | None) -> None:
        self.holidays = holidays
        self._loaded: dict[int, WorkingCalendar] = {}
        self._lock = threading.Lock()  # the dispatcher's senders share one instance

    def for_workspace(
        self, session: Session, workspace_id: int, *, now: datetime
    ) -> WorkingCalendar:
        with self._lock:
            found = self._loaded.get(workspace_id)
        if found is None:
            found = calendar_for(
                session, workspace_id=workspace_id, holidays=self.holidays, today=now.date()
            )
            with self._lock:
                self._loaded[workspace_id] = found
        return found


# --- `/mentor calendar` ------------------------------------------------------------------------

_RANGE = re.compile(
    r"^(?P<start>\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:\.\.|–|—|to)\s*(?P<end>\d{4}-\d{1,2}-\d{1,2}))?"
    r"(?:\s+(?P<name>.+))?$",
    re.IGNORECASE,
)


def _day(text: str) -> date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        raise UserError(
            f"{text!r} is not a date; use YYYY-MM-DD.", example=CALENDAR_EXAMPLE
        ) from None


@dataclass(frozen=True)
class BlackoutRequest:
    starts_on: date
    ends_on: date
    name: str


def check_blackout(starts_on: date, ends_on: date, name: str) -> BlackoutRequest:
    name = " ".join(name.split())
    if ends_on < starts_on:
        raise UserError(
            f"The range ends ({ends_on.isoformat()}) before it starts ({starts_on.isoformat()}).",
            example=CALENDAR_EXAMPLE,
        )
    if ends_on - starts_on >= MAX_BLACKOUT:
        raise UserError("A blackout can last up to a year.", example=CALENDAR_EXAMPLE)
    if not name:
        raise UserError(
            "Name the blackout, so everyone knows why nudges stop.", example=CALENDAR_EXAMPLE
        )
    if len(name) > MAX_NAME:
        raise UserError(f"Keep the name under {MAX_NAME} characters.", example=CALENDAR_EXAMPLE)
    return BlackoutRequest(starts_on, ends_on, name)


def parse_blackout(text: str) -> BlackoutRequest:
    """`YYYY-MM-DD[..YYYY-MM-DD] <name>`."""
    match = _RANGE.match(" ".join(text.split()))
    if not match:
        raise UserError("Give a date or a range of dates, then a name.", example=CALENDAR_EXAMPLE)
    starts_on = _day(match["start"])
    ends_on = _day(match["end"]) if match["end"] else starts_on
    return check_blackout(starts_on, ends_on, match["name"] or "")


def add_blackout(
    session: Session,
    *,
    workspace_id: int,
    request: BlackoutRequest,
    source: str,
    now: datetime,
) -> bool:
    return blackout_queries.add(
        session,
        workspace_id=workspace_id,
        starts_on=request.starts_on,
        ends_on=request.ends_on,
        name=request.name,
        source=source,
        now=now,
    )


def current_blackouts(session: Session, *, workspace_id: int, today: date) -> Sequence[Blackout]:
    """What `/mentor calendar list` numbers: blackouts not over yet, in calendar order."""
    return blackout_queries.ending_on_or_after(session, workspace_id=workspace_id, day=today)


def remove_blackout(session: Session, *, workspace_id: int, number: int, today: date) -> Blackout:
    listed = current_blackouts(session, workspace_id=workspace_id, today=today)
    if not 1 <= number <= len(listed):
        raise UserError(
            f"There is no blackout {number}; `/mentor calendar list` shows the numbers "
            f"(1 to {len(listed)})."
            if listed
            else "There are no blackouts to remove.",
            example="/mentor calendar list",
        )
    chosen = listed[number - 1]
    blackout_queries.remove(session, blackout_id=chosen.id)
    return chosen


def upcoming_holidays(spec: str | None, *, today: date, days: int = 120) -> list[tuple[date, str]]:
    if not spec:
        return []
    until = today + timedelta(days=days)
    found = {**public_holidays(spec, today.year), **public_holidays(spec, until.year)}
    return [(day, name) for day, name in sorted(found.items()) if today <= day <= until]
