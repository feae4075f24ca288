"""Each person's own working hours: `/mentor hours 06:00-14:00` for a surgery rotation, and
nudges that stay inside them. When a pair's hours never overlap, the prompt follows the
mentee's hours and both hear about it once, instead of the mentor being pinged at night."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.domain.cadence import WorkingHours, zone
from bot.domain.errors import UserError
from bot.domain.hours import Member, never_overlap, parse_hours, prompt_instant
from bot.domain.nudges import plan_wrap_up
from bot.service import Database
from bot.store.models import Delivery, DeliveryKind, Pair, Person
from jobs.dispatcher import Dispatcher
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack
from tests.conftest import NUDGE_START
from tests.factories import make_pair
from tests.slack_requests import SlackSender
from tests.test_journey import command_text

STUDENT, MENTOR, SPACE = "U0STUDENT", "U0MENTOR", "G0SPACE"
NEW_YORK, CHICAGO, KOLKATA = "America/New_York", "America/Chicago", "Asia/Kolkata"
TUESDAY = date(2027, 1, 19)
DEFAULT = WorkingHours()


def hours(start: int, end: int) -> WorkingHours:
    return WorkingHours(time(start), time(end))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07:00-15:00", hours(7, 15)),
        ("7am-3pm", hours(7, 15)),
        ("7:30 am to 4 pm", WorkingHours(time(7, 30), time(16))),
        ("06:00 – 14:00", hours(6, 14)),
        ("16:00-20:00", hours(16, 20)),
        ("default", None),
    ],
)
def test_hours_as_people_write_them(text: str, expected: WorkingHours | None) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("19:00-07:00", "ends before it starts"),
        ("09:00-09:30", "at least an hour"),
        ("nine to five", "is not a time"),
        ("07:00", "start-end"),
        ("25:00-26:00", "is not a time"),
    ],
)
def test_hours_that_cannot_work_are_refused_with_an_example(text: str, complaint: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_hours(text)
    assert (
        complaint in refused.value.message and refused.value.example == "/mentor hours 07:00-15:00"
    )


@pytest.mark.parametrize(
    ("mentee", "mentor", "at", "expected_local"),
    [
        # Inside both: the pair's own time wins.
        (Member(zone(NEW_YORK), hours(6, 14)), Member(zone(NEW_YORK), DEFAULT), time(9), time(9)),
        # A surgeon in Chicago free 06:00-10:00 (07:00-11:00 New York): 15:00 moves to 11:00.
        (Member(zone(NEW_YORK), DEFAULT), Member(zone(CHICAGO), hours(6, 10)), time(15), time(11)),
        # Kolkata 18:00-23:00 is New York 07:30-12:30: 09:00 fits.
        (Member(zone(NEW_YORK), DEFAULT), Member(zone(KOLKATA), hours(18, 23)), time(9), time(9)),
        # Never overlapping: the mentee's time, inside the mentee's hours.
        (Member(zone(NEW_YORK), DEFAULT), Member(zone(KOLKATA), DEFAULT), time(9), time(9)),
        # Night float (16:00-20:00) after a 09:00 rhythm: moved into the mentee's own hours.
        (Member(zone(NEW_YORK), hours(16, 20)), Member(zone(KOLKATA), DEFAULT), time(9), time(16)),
    ],
)
def test_a_prompt_lands_inside_each_members_own_hours(
    mentee: Member, mentor: Member, at: time, expected_local: time
) -> None:
    local = prompt_instant(TUESDAY, at, mentee=mentee, mentor=mentor).astimezone(mentee.tz)
    assert (local.date(), local.time()) == (TUESDAY, expected_local)


@pytest.mark.parametrize(
    ("mentor", "clash"),
    [
        (Member(zone(KOLKATA), DEFAULT), True),
        (Member(zone(KOLKATA), hours(18, 23)), False),
        (Member(zone(CHICAGO), DEFAULT), False),
        (Member(zone("Asia/Tokyo"), DEFAULT), True),
        # Sydney in January: 17:00 in New York is 09:00 there, the edge of both days.
        (Member(zone("Australia/Sydney"), DEFAULT), False),
    ],
)
def test_hours_that_never_overlap(mentor: Member, clash: bool) -> None:
    assert never_overlap(Member(zone(NEW_YORK), DEFAULT), mentor, around=TUESDAY) is clash


# --- in Slack and through the scheduler -----------------------------------------------------------


def person(database: Database, slack_user_id: str) -> Person:
    with database.sessions() as session:
        found = session.execute(
            select(Person).where(Person.slack_user_id == slack_user_id)
        ).scalar_one()
        session.expunge(found)
        return found


def pair_row(database: Database, pair_id: int) -> Pair:
    with database.sessions() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        session.expunge(pair)
        return pair


def said(slack: SlackSender, text: str, *, user: str) -> str:
    return str(json.loads(command_text(slack, "/mentor", text, user=user))["text"])


def test_setting_my_hours_moves_my_nudges_inside_them(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    fake_slack.add_user(MENTOR, tz=CHICAGO)
    fake_slack.add_user(STUDENT, tz=NEW_YORK)
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR, mentor_tz=CHICAGO)
    with database.sessions.begin() as session:
        session.get(Pair, pair_id).cadence_time = time(15)  # 14:00 in Chicago

    shown = said(slack, "hours", user=MENTOR)
    assert "09:00–17:00 your time (America/Chicago)" in shown and "the default" in shown

    shown = said(slack, "hours 6am-10am", user=MENTOR)
    assert "06:00–10:00 your time (America/Chicago)" in shown and "your own" in shown
    assert f"With <@{STUDENT}>: next nudge" in shown
    mentor = person(database, MENTOR)
    assert (mentor.work_start, mentor.work_end) == (time(6), time(10))
    next_prompt = pair_row(database, pair_id).next_prompt_at
    assert next_prompt is not None
    assert next_prompt.astimezone(zone(CHICAGO)).time() == time(10)  # the end of their hours

    assert "the default" in said(slack, "hours default", user=MENTOR)
    assert person(database, MENTOR).work_start is None


def test_a_gratitude_reminder_and_a_wrap_up_keep_to_the_mentees_own_hours(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel(SPACE, members=[STUDENT, MENTOR])
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR, now=NUDGE_START, channel=SPACE)
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        pair.mentee.work_start, pair.mentee.work_end = time(16), time(20)  # night float
        # Ended on a Tuesday at 21:00 New York: after the mentee's hours.
        pair.state = pair.state.ENDED
        plan_wrap_up(session, pair=pair, hours=DEFAULT, now=datetime(2027, 1, 20, 2, 0, tzinfo=UTC))
    with database.sessions() as session:
        wrap_up = session.execute(
            select(Delivery).where(Delivery.kind == DeliveryKind.WRAP_UP)
        ).scalar_one()
    local = wrap_up.due_at.astimezone(zone(NEW_YORK))
    assert (local.date(), local.time()) == (date(2027, 1, 20), time(16))
    report = tick(database.sessions, dispatcher, now=wrap_up.due_at - timedelta(minutes=1))
    assert report.dispatch.sent == 0
    assert tick(database.sessions, dispatcher, now=wrap_up.due_at).dispatch.sent == 1


def clash_notices(fake_slack: FakeSlack) -> list[str]:
    return [
        json.dumps(message, ensure_ascii=False)
        for message in fake_slack.messages(SPACE)
        if "never overlap" in json.dumps(message)
    ]


def test_hours_that_never_meet_are_told_once_with_the_first_prompt(
    slack: SlackSender, database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    fake_slack.add_channel(SPACE, members=[STUDENT, MENTOR])
    fake_slack.add_user(MENTOR, tz=KOLKATA)
    pair_id = make_pair(
        database,
        mentee=STUDENT,
        mentor=MENTOR,
        now=NUDGE_START,
        channel=SPACE,
        mentor_tz=KOLKATA,
    )
    first = pair_row(database, pair_id).next_prompt_at
    assert first is not None and first.astimezone(zone(NEW_YORK)).time() == time(9)
    assert tick(database.sessions, dispatcher, now=first).dispatch.sent == 1
    (notice,) = clash_notices(fake_slack)
    assert "Check-in prompts follow <@U0STUDENT>'s hours" in notice
    assert "09:00–17:00 (Asia/Kolkata)" in notice
    assert pair_row(database, pair_id).hours_clash_noted_at == first

    second = pair_row(database, pair_id).next_prompt_at
    assert second is not None
    assert tick(database.sessions, dispatcher, now=second).dispatch.sent == 1
    assert len(clash_notices(fake_slack)) == 1  # once, not with every prompt

    # Rao moves his hours to his evening: they overlap now, and the mark is cleared...
    command_text(slack, "/mentor", "hours 18:00-23:00", user=MENTOR)
    assert pair_row(database, pair_id).hours_clash_noted_at is None
    assert len(clash_notices(fake_slack)) == 1
    # ...so going back to days is a new clash, told at once in their space.
    command_text(slack, "/mentor", "hours 09:00-17:00", user=MENTOR)
    assert len(clash_notices(fake_slack)) == 2
    assert pair_row(database, pair_id).hours_clash_noted_at is not None


def test_a_new_pair_hears_about_the_clash_in_its_welcome(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    fake_slack.add_user(STUDENT, tz=NEW_YORK)
    fake_slack.add_user("U0RAO", tz=KOLKATA)
    command_text(slack, "/mentor", f"pair <@{STUDENT}> <@U0RAO>", user="UCOORD")
    (welcome,) = fake_slack.wait_for("chat.postMessage", lambda c: "Welcome" in str(c.args))
    assert "never overlap" in json.dumps(welcome.args["blocks"])
    # Marked as told (committed before the members' "you are paired" DMs go out).
    fake_slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == STUDENT)
    with database.sessions() as session:
        assert session.execute(select(Pair.hours_clash_noted_at)).scalar_one() is not None
