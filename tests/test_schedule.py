"""When prompts fall: local wall-clock time across DST changes, odd offsets, year ends and
leap days, and the move into the mentor's working hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.domain.cadence import (
    Cadence,
    WorkingHours,
    add_months,
    add_working_days,
    local_instant,
    next_prompt_date,
    next_working_moment,
    zone,
)
from bot.domain.nudges import following_prompt
from bot.domain.schedule import shared_prompt_instant
from bot.store.models import CadenceUnit, Pair, PairState, Person

HOURS = WorkingHours()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def pair_in(mentee_tz: str, mentor_tz: str | None = None, cadence: Cadence | None = None) -> Pair:
    cadence = cadence or Cadence(CadenceUnit.WEEK, 1, 1, time(9))
    return Pair(
        mentee=Person(slack_user_id="U1", tz=mentee_tz),
        mentor=Person(slack_user_id="U2", tz=mentor_tz or mentee_tz),
        state=PairState.ACTIVE,
        cadence_unit=cadence.unit,
        cadence_interval=cadence.interval,
        cadence_weekday=cadence.weekday,
        cadence_time=cadence.at,
    )


def prompts(pair: Pair, first_day: date, count: int) -> list[datetime]:
    current = local_instant(first_day, pair.cadence_time, zone(pair.mentee.tz))
    found = [current]
    for _ in range(count - 1):
        current = following_prompt(pair, current, hours=HOURS)
        found.append(current)
    return found


@pytest.mark.parametrize(
    ("tz", "first_tuesday", "utc_hours"),
    [
        # New York springs forward on 14 March 2027: 09:00 is 14:00 UTC, then 13:00 UTC.
        ("America/New_York", date(2027, 3, 2), [14, 14, 13, 13]),
        # ...and falls back on 7 November 2027.
        ("America/New_York", date(2027, 10, 26), [13, 13, 14, 14]),
        ("Europe/London", date(2027, 3, 16), [9, 9, 8, 8]),
        ("Europe/London", date(2027, 10, 19), [8, 8, 9, 9]),
        # Sydney: summer time ends 4 April and starts 3 October 2027.
        ("Australia/Sydney", date(2027, 3, 23), [22, 22, 23, 23]),
        ("Australia/Sydney", date(2027, 9, 21), [23, 23, 22, 22]),
    ],
)
def test_a_0900_prompt_stays_0900_local_across_dst(
    tz: str, first_tuesday: date, utc_hours: list[int]
) -> None:
    found = prompts(pair_in(tz), first_tuesday, 4)
    assert [instant.astimezone(zone(tz)).time() for instant in found] == [time(9)] * 4
    assert [instant.astimezone(UTC).hour for instant in found] == utc_hours
    assert all(instant.astimezone(zone(tz)).weekday() == 1 for instant in found)


def test_a_half_hour_zone_keeps_its_minutes() -> None:
    (first, second) = prompts(pair_in("Asia/Kolkata"), date(2027, 1, 5), 2)
    assert (first.hour, first.minute) == (3, 30)  # 09:00 IST is 03:30 UTC
    assert second.astimezone(zone("Asia/Kolkata")).time() == time(9)


def test_a_pair_across_the_year_end() -> None:
    every_two_weeks = Cadence(CadenceUnit.WEEK, 2, 1, time(9))
    found = prompts(pair_in("America/New_York", cadence=every_two_weeks), date(2027, 12, 21), 3)
    assert [instant.date() for instant in found] == [
        date(2027, 12, 21),
        date(2028, 1, 4),
        date(2028, 1, 18),
    ]


def test_29_february() -> None:
    weekly = prompts(pair_in("Europe/London"), date(2028, 2, 22), 2)
    assert weekly[1].date() == date(2028, 2, 29)  # a Tuesday in a leap year
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    monthly = Cadence(CadenceUnit.MONTH, 1, 1, time(9))
    assert next_prompt_date(monthly, anchor=date(2028, 1, 29)) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("local", "tz", "expected_utc"),
    [
        # 02:30 does not exist on 14 March 2027 in New York: it moves forward to 03:30 EDT.
        ((date(2027, 3, 14), time(2, 30)), "America/New_York", utc(2027, 3, 14, 7, 30)),
        # 01:30 happens twice on 7 November: the first (EDT) is meant.
        ((date(2027, 11, 7), time(1, 30)), "America/New_York", utc(2027, 11, 7, 5, 30)),
        # London skips 01:00-02:00 on 28 March: 01:30 GMT would be 02:30 BST.
        ((date(2027, 3, 28), time(1, 30)), "Europe/London", utc(2027, 3, 28, 1, 30)),
    ],
)
def test_nonexistent_and_repeated_local_times(
    local: tuple[date, time], tz: str, expected_utc: datetime
) -> None:
    assert local_instant(*local, zone(tz)) == expected_utc


@pytest.mark.parametrize(
    ("mentee_tz", "mentor_tz", "wanted", "expected_local"),
    [
        ("America/New_York", "America/Chicago", time(9), time(10)),  # 08:00 in Chicago → 10:00
        ("America/New_York", "Europe/London", time(9), time(9)),  # 14:00 in London: fine
        ("America/New_York", "Europe/London", time(16), time(12)),  # 21:00 London → 17:00
        ("America/New_York", "Asia/Kolkata", time(9), time(9)),  # no shared hours: mentee's time
        ("Europe/Berlin", "America/New_York", time(9), time(15)),  # 03:00 NY → 09:00 NY
    ],
)
def test_a_prompt_moves_into_the_mentors_hours_when_it_can(
    mentee_tz: str, mentor_tz: str, wanted: time, expected_local: time
) -> None:
    instant = shared_prompt_instant(
        date(2027, 1, 12),
        Cadence(CadenceUnit.WEEK, 1, 1, wanted),
        mentee_tz=zone(mentee_tz),
        mentor_tz=zone(mentor_tz),
        hours=HOURS,
    )
    local = instant.astimezone(zone(mentee_tz))
    assert (local.date(), local.time()) == (date(2027, 1, 12), expected_local)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2027, 1, 19), 3, date(2027, 1, 22)),  # Tuesday → Friday
        (date(2027, 1, 21), 3, date(2027, 1, 26)),  # Thursday → Tuesday, over the weekend
        (date(2027, 1, 22), 1, date(2027, 1, 25)),  # Friday → Monday
    ],
)
def test_working_days(start: date, count: int, expected: date) -> None:
    assert add_working_days(start, count) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2027, 1, 19, 15, 0), utc(2027, 1, 19, 15, 0)),  # Tue 10:00 NY: now
        (utc(2027, 1, 19, 23, 0), utc(2027, 1, 20, 14, 0)),  # Tue 18:00: Wed 09:00
        (utc(2027, 1, 23, 15, 0), utc(2027, 1, 25, 14, 0)),  # Saturday: Monday
        (utc(2027, 1, 19, 12, 0), utc(2027, 1, 19, 14, 0)),  # 07:00: at 09:00
    ],
)
def test_the_next_working_moment(now: datetime, expected: datetime) -> None:
    assert next_working_moment(now, zone("America/New_York"), HOURS) == expected


def test_an_unknown_zone_falls_back_instead_of_failing_a_nudge() -> None:
    assert str(zone("Mars/Olympus_Mons")) == "America/New_York"
    assert str(zone(None)) == "America/New_York"
