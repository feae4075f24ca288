"""The coordinators' weekly digest: Monday 09:00 in each coordinator's zone, at most one
outbox delivery per coordinator per ISO week, sent only when something needs attention."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, time

from sqlalchemy.orm import Session

from bot.domain import people
from bot.domain.cadence import local_instant, zone
from bot.domain.errors import UserError
from bot.domain.nudges import END_OF_DAY_GRACE, SEND, Decision, Verdict
from bot.domain.program.attention import Attention, needs_attention
from bot.domain.program.calendar import Calendars
from bot.store import deliveries
from bot.store import people as people_queries
from bot.store.models import Delivery, DeliveryKind, Person

DIGEST_AT = time(9, 0)
MONDAY = 0
# A digest held up by downtime still goes out that Monday, until the end of the working day.
LATEST_DIGEST_TIME = time(17, 0)
NOTHING_TO_SAY = "nothing needs attention"


def week_of(moment: datetime, tz_name: str | None) -> str:
    year, week, _ = moment.astimezone(zone(tz_name)).isocalendar()
    return f"{year}-W{week:02d}"


def digest_time_this_week(person: Person, *, now: datetime) -> datetime | None:
    """This Monday's 09:00 in the person's zone, while it is Monday between 09:00 and the
    end of the working day there; otherwise None."""
    tz = zone(person.tz)
    local = now.astimezone(tz)
    if local.weekday() != MONDAY:
        return None
    if not DIGEST_AT <= local.time().replace(tzinfo=None) <= LATEST_DIGEST_TIME:
        return None
    return local_instant(local.date(), DIGEST_AT, tz)


def could_be_monday_morning_somewhere(now: datetime) -> bool:
    """Monday 09:00-17:00 in some zone (UTC-12 to UTC+14) is Sunday 19:00 to Tuesday 05:00 UTC."""
    hours_into_week = now.astimezone(UTC).weekday() * 24 + now.astimezone(UTC).hour
    sunday_19, tuesday_05 = 6 * 24 + 19, 24 + 5
    return hours_into_week >= sunday_19 or hours_into_week <= tuesday_05


def plan_digests(
    session: Session, *, now: datetime, configured: Collection[str], calendars: Calendars
) -> int:
    """On Monday from 09:00 in each coordinator's zone, decide their digest once for the week:
    a delivery when something needs attention, else a row that records it was skipped."""
    if not could_be_monday_morning_somewhere(now):
        return 0  # most of the week: not even a query
    planned = 0
    for workspace in people_queries.all_workspaces(session):
        if workspace.uninstalled_at is not None:
            continue  # Rounds was uninstalled there: no digests, nothing at all
        attention: Attention | None = None
        for coordinator in people.coordinators(session, workspace=workspace, configured=configured):
            due = digest_time_this_week(coordinator, now=now)
            if due is None or coordinator.digest_off:
                continue
            period = week_of(due, coordinator.tz)
            if deliveries.person_delivery_exists(
                session, person_id=coordinator.id, kind=DeliveryKind.DIGEST, period=period
            ):
                continue
            if attention is None:
                attention = needs_attention(
                    session,
                    workspace_id=workspace.id,
                    now=now,
                    calendar=calendars.for_workspace(session, workspace.id, now=now),
                )
            planned += deliveries.add_person_delivery(
                session,
                person_id=coordinator.id,
                kind=DeliveryKind.DIGEST,
                period=period,
                due_at=due,
                now=now,
                skipped_because=None if attention else NOTHING_TO_SAY,
            )
    return planned


def decide_digest(
    delivery: Delivery, person: Person, *, configured: Collection[str], now: datetime
) -> Decision:
    """Skip a digest whose reader stopped coordinating or turned it off, or whose Monday
    passed while Rounds was down. Whether anything needs attention is checked when composing."""
    if not people.is_coordinator(person, configured=configured):
        return Decision(Verdict.SKIP, "no longer a coordinator")
    if person.digest_off:
        return Decision(Verdict.SKIP, "digest turned off")
    tz = zone(person.tz)
    local_now = now.astimezone(tz)
    due_day = delivery.due_at.astimezone(tz).date()
    too_late = local_now.time().replace(tzinfo=None) > LATEST_DIGEST_TIME
    if local_now.date() != due_day or (too_late and now - delivery.due_at > END_OF_DAY_GRACE):
        return Decision(Verdict.SKIP, f"missed: due {due_day.isoformat()}")
    return SEND


def set_digest(person: Person, *, on: bool, configured: Collection[str]) -> bool:
    """Turn the weekly digest on or off; False when it already was."""
    people.require_coordinator(person, configured=configured, action="get the weekly digest")
    if person.digest_off is (not on):
        return False
    person.digest_off = not on
    return True


def parse_digest_switch(text: str) -> bool:
    word = text.strip().lower()
    if word in {"on", "off"}:
        return word == "on"
    raise UserError(
        "Say `on` or `off`: the digest comes Monday 09:00 your time when something needs "
        "your attention.",
        example="/mentor digest off",
    )
