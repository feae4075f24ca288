"""Reading a school's .ics calendar into blackouts, with recurring events expanded.

All-day events (exam weeks, breaks, holidays) become blackouts, and so do timed events of a
day or more; shorter timed events (a lecture, a meeting) are not a reason to hold nudges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.errors import UserError
from bot.domain.program.calendar import MAX_BLACKOUT, MAX_NAME, BlackoutRequest

MAX_ICS_BYTES = 2 * 1024 * 1024
LOOK_BACK = timedelta(days=31)
LOOK_AHEAD = timedelta(days=2 * 366)
ICS_EXAMPLE = "Export the school calendar as .ics (iCalendar), e.g. from Google Calendar settings"


@dataclass
class IcsCalendar:
    blackouts: list[BlackoutRequest] = field(default_factory=list)
    short_events: int = 0  # timed events under a day: not blackouts
    too_long: int = 0


def _problem(message: str) -> UserError:
    return UserError(message, example=ICS_EXAMPLE)


def read_ics(data: bytes, *, today: date) -> IcsCalendar:
    """Blackouts from an .ics file, from a month ago to two years ahead. Raises UserError
    when the bytes are not an iCalendar file."""
    import icalendar
    import recurring_ical_events

    if len(data) > MAX_ICS_BYTES:
        raise _problem(f"The calendar is over {MAX_ICS_BYTES // (1024 * 1024)} MB; export a year.")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        raise _problem("That file is not an .ics calendar (it doesn't start with BEGIN:VCALENDAR).")
    try:
        calendar = icalendar.Calendar.from_ical(data)
        events = recurring_ical_events.of(calendar).between(today - LOOK_BACK, today + LOOK_AHEAD)
    except Exception as error:  # the parsers raise many kinds for a damaged file
        raise _problem(f"I couldn't read that .ics calendar ({type(error).__name__}).") from None
    result = IcsCalendar()
    seen: set[tuple[date, date, str]] = set()
    for event in events:
        start = event.get("DTSTART")
        if start is None:
            continue
        begins = start.dt
        end = event.get("DTEND")
        finishes = end.dt if end is not None else None
        name = " ".join(str(event.get("SUMMARY") or "School calendar").split())[:MAX_NAME]
        if isinstance(begins, datetime):
            finishes = finishes if isinstance(finishes, datetime) else begins
            if finishes - begins < timedelta(hours=24):
                result.short_events += 1
                continue
            first, last = begins.date(), (finishes - timedelta(microseconds=1)).date()
        else:
            # All-day: DTEND is the day after the last one.
            first = begins
            last = finishes - timedelta(days=1) if isinstance(finishes, date) else begins
            last = max(first, last)
        if last - first >= MAX_BLACKOUT:
            result.too_long += 1
            continue
        key = (first, last, name)
        if key not in seen:
            seen.add(key)
            result.blackouts.append(BlackoutRequest(first, last, name or "School calendar"))
    result.blackouts.sort(key=lambda item: (item.starts_on, item.ends_on, item.name))
    return result
