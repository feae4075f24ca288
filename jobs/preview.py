"""`python -m jobs preview`: the nudges each pair would get, assuming nobody checks in.

Sends nothing and changes nothing, so a coordinator can see the rhythm before launch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours, local_instant, zone
from bot.domain.endings import catch_up_after
from bot.domain.nudges import (
    FOLLOW_UP_AFTER_WORKING_DAYS,
    following_prompt,
    prompt_outside_blackouts,
)
from bot.domain.program.calendar import WEEKDAYS, Calendars, WorkingCalendar
from bot.domain.schedule import cadence_of, first_prompt_from
from bot.store import pairs as pair_queries
from bot.store.db import SessionFactory
from bot.store.deliveries import scheduled_for_pairs
from bot.store.models import DeliveryKind, Pair, PairState, Person

KIND_NAMES = {
    DeliveryKind.PROMPT: "check-in prompt",
    DeliveryKind.FOLLOW_UP: "follow-up (if nobody answered)",
    DeliveryKind.GRATITUDE: "gratitude reminder",
    DeliveryKind.WRAP_UP: "mentor wrap-up (to the mentee)",
    DeliveryKind.COORDINATOR_ALERT: "coordinator alert",
    DeliveryKind.WELCOME: "welcome (opens the check-in space)",
    DeliveryKind.DIGEST: "coordinator digest",
    DeliveryKind.KICK_OFF: "kick-off",
    DeliveryKind.MENTOR_WRAP_UP: "mentor wrap-up (to the mentor)",
    DeliveryKind.CATCH_UP: "catch-up",
    DeliveryKind.PAY_IT_FORWARD: "pay-it-forward invitation",
}


@dataclass(frozen=True)
class Planned:
    at: datetime
    zone_name: str
    kind: DeliveryKind
    skipped: str = ""  # "2027-03-16 (Spring break)" when a blackout moved it here


def _prompts(
    pair: Pair,
    *,
    now: datetime,
    until: datetime,
    hours: WorkingHours,
    calendar: WorkingCalendar = WEEKDAYS,
) -> Iterator[Planned]:
    tz_name = str(zone(pair.mentee.tz))
    if pair.state is PairState.ALUMNI:  # keeping in touch: a catch-up every 6 months
        at = pair.next_prompt_at
        while at is not None and at <= until:
            yield Planned(at, tz_name, DeliveryKind.CATCH_UP)
            at = catch_up_after(pair, after=at, hours=hours)
        return
    if pair.state is PairState.PAUSED:
        if pair.paused_until is None:
            return  # paused until someone resumes it
        start = local_instant(pair.paused_until, hours.start, zone(pair.mentee.tz))
        at = first_prompt_from(pair, now=max(now, start - timedelta(seconds=1)), hours=hours)
    else:
        at = pair.next_prompt_at or first_prompt_from(pair, now=now, hours=hours)
    while at <= until:
        moved = prompt_outside_blackouts(pair, at, hours=hours, calendar=calendar)
        skipped = ""
        if moved != at:
            day = at.astimezone(zone(pair.mentee.tz)).date()
            skipped = f"{day.isoformat()} ({calendar.blackout_on(day) or 'blackout'})"
        upcoming = following_prompt(pair, at, hours=hours)
        while upcoming <= moved:
            upcoming = following_prompt(pair, upcoming, hours=hours)
        at = moved
        if at > until:
            break
        yield Planned(at, tz_name, DeliveryKind.PROMPT, skipped)
        local = at.astimezone(zone(pair.mentee.tz))
        follow_day = calendar.add_working_days(local.date(), FOLLOW_UP_AFTER_WORKING_DAYS)
        follow = local_instant(follow_day, local.time().replace(tzinfo=None), zone(pair.mentee.tz))
        if follow <= until:
            yield Planned(follow, tz_name, DeliveryKind.FOLLOW_UP)
        at = upcoming


def preview(
    session: Session,
    *,
    weeks: int,
    now: datetime,
    hours: WorkingHours,
    holidays: str | None = None,
) -> list[tuple[Pair, list[Planned]]]:
    until = now + timedelta(weeks=weeks)
    live = pair_queries.all_in_states(
        session, states=(PairState.ACTIVE, PairState.PAUSED, PairState.ALUMNI)
    )
    already = scheduled_for_pairs(session, [pair.id for pair in live])
    calendars = Calendars(holidays)
    result = []
    for pair in live:
        calendar = calendars.for_workspace(session, pair.workspace_id, now=now)
        planned = list(_prompts(pair, now=now, until=until, hours=hours, calendar=calendar))
        if pair.kick_off_at is not None and pair.kick_off_at <= until:
            planned.append(
                Planned(pair.kick_off_at, str(zone(pair.mentee.tz)), DeliveryKind.KICK_OFF)
            )
        planned += [
            Planned(d.due_at, str(zone(pair.mentee.tz)), d.kind)
            for d in already
            if d.pair_id == pair.id and d.kind is not DeliveryKind.PROMPT and d.due_at <= until
        ]
        result.append((pair, sorted(planned, key=lambda item: item.at)))
    return result


def _who(person: Person) -> str:
    name = f"{person.display_name} " if person.display_name else ""
    return f"{name}({person.slack_user_id})"


def print_preview(
    sessions: SessionFactory,
    *,
    weeks: int,
    now: datetime,
    out: TextIO,
    holidays: str | None = None,
) -> None:
    with sessions() as session:
        plans = preview(session, weeks=weeks, now=now, hours=WorkingHours(), holidays=holidays)
        if not plans:
            print("No active or paused pairs yet: nothing to preview.", file=out)
            return
        print(
            f"Nudges for the next {weeks} weeks, assuming nobody checks in "
            "(mentee's local time | mentor's local time):",
            file=out,
        )
        for pair, planned in plans:
            state = ""
            if pair.state is PairState.PAUSED:
                until = f" until {pair.paused_until.isoformat()}" if pair.paused_until else ""
                state = f" [paused{until}]"
            elif pair.state is PairState.ALUMNI:
                state = " [alumni: keeping in touch]"
            print(
                f"\nPair {pair.id}: mentee {_who(pair.mentee)}, "
                f"mentor {_who(pair.mentor)} — {cadence_of(pair).describe()}{state}",
                file=out,
            )
            if not planned:
                print("  (nothing in this window)", file=out)
            for item in planned:
                local = item.at.astimezone(zone(pair.mentee.tz))
                theirs = item.at.astimezone(zone(pair.mentor.tz))
                moved = f"  — moved from {item.skipped}, a blackout" if item.skipped else ""
                print(
                    f"  {local:%Y-%m-%d %a %H:%M} {zone(pair.mentee.tz)} | "
                    f"{theirs:%a %H:%M} {zone(pair.mentor.tz)}  {KIND_NAMES[item.kind]}{moved}",
                    file=out,
                )
