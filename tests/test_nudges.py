"""The nudge engine, ticked through time: prompts at 09:00 local, follow-ups, gratitude,
wrap-ups, going cold, pauses, downtime, and the cost of each nudge."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.domain import checkins, pairs
from bot.domain.cadence import WorkingHours, parse_cadence, zone
from bot.domain.nudges import plan_wrap_up
from bot.domain.schedule import cadence_of, next_prompt_after_checkin
from bot.service import Database
from bot.slack_out import make_web_client
from bot.store.models import Delivery, DeliveryKind, DeliveryStatus, Pair, PairState
from jobs.dispatcher import Dispatcher
from jobs.preview import print_preview
from jobs.profiles import refresh_stale_profiles
from jobs.tick import TickReport, tick
from sandbox.fake_slack import FakeSlack
from tests.conftest import NUDGE_MENTEE, NUDGE_MENTOR, NUDGE_SPACE, NUDGE_START
from tests.factories import make_pair, make_person
from tests.slack_requests import SlackSender, block_action_payload, view_submission_payload
from tests.test_journey import assert_database_holds_none_of
from tests.test_pairs_flow import press

STUDENT, MENTOR, SPACE = NUDGE_MENTEE, NUDGE_MENTOR, NUDGE_SPACE
HOURS = WorkingHours()
START = NUDGE_START
FIRST_PROMPT = datetime(2027, 1, 19, 14, 0, tzinfo=UTC)  # Tuesday 09:00 EST


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def run(database: Database, dispatcher: Dispatcher, now: datetime) -> TickReport:
    return tick(database.sessions, dispatcher, now=now)


def rows(database: Database, kind: DeliveryKind | None = None) -> list[Delivery]:
    with database.sessions() as session:
        query = select(Delivery).order_by(Delivery.id)
        if kind is not None:
            query = query.where(Delivery.kind == kind)
        return list(session.execute(query).scalars())


def pair_of(database: Database, pair_id: int) -> Pair:
    with database.sessions() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        return pair


def reply_in_thread(database: Database, author: str, thread_ts: str) -> None:
    with database.sessions.begin() as session:
        recorded = checkins.record_thread_reply(
            session,
            channel_id=SPACE,
            thread_ts=thread_ts,
            author=author,
            hours=HOURS,
            now=datetime.now(UTC),
        )
        assert recorded is not None


def test_prompt_follow_up_and_gratitude_arrive_on_time(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    assert pair_of(database, pair_id).next_prompt_at == FIRST_PROMPT

    assert run(database, dispatcher, FIRST_PROMPT - timedelta(minutes=1)).dispatch.sent == 0
    report = run(database, dispatcher, FIRST_PROMPT)
    assert (report.plan.planned, report.dispatch.sent) == (1, 1)
    (prompt_call,) = fake_slack.calls_to("chat.postMessage")
    assert prompt_call.args["channel"] == SPACE
    assert prompt_call.args["metadata"]["event_type"] == "rounds_nudge"
    shown = json.dumps(prompt_call.args["blocks"])
    for button in ("We met", "Snooze a week", "Log a check-in"):
        assert button in shown
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    assert prompt.status is DeliveryStatus.SENT

    # Nobody answers: Friday (three working days on), same time, in the prompt's thread.
    assert run(database, dispatcher, at("2027-01-22T13:59:00Z")).dispatch.sent == 0
    assert run(database, dispatcher, at("2027-01-22T14:00:00Z")).dispatch.sent == 1
    follow_up = fake_slack.calls_to("chat.postMessage")[-1]
    assert follow_up.args["thread_ts"] == prompt.ts

    reply_in_thread(database, STUDENT, prompt.ts)
    reply_in_thread(database, MENTOR, prompt.ts)
    (gratitude,) = rows(database, DeliveryKind.GRATITUDE)
    # The working day after Friday's answer is Monday; 09:00 in New York.
    assert gratitude.due_at == at("2027-01-25T14:00:00Z")
    assert run(database, dispatcher, at("2027-01-25T14:00:00Z")).dispatch.sent == 1
    thanks = fake_slack.calls_to("chat.postMessage")[-1]
    assert thanks.args["channel"] == STUDENT and "Send thanks" in json.dumps(thanks.args["blocks"])
    # The cadence clock restarted at the complete check-in.
    assert pair_of(database, pair_id).next_prompt_at == at("2027-02-09T14:00:00Z")


def test_an_answered_prompt_gets_no_follow_up(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    run(database, dispatcher, FIRST_PROMPT)
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    reply_in_thread(database, STUDENT, prompt.ts)
    report = run(database, dispatcher, at("2027-01-22T14:00:00Z"))
    assert (report.dispatch.sent, report.dispatch.skipped) == (0, 1)
    (follow_up,) = rows(database, DeliveryKind.FOLLOW_UP)
    assert (follow_up.status, follow_up.outcome) == (DeliveryStatus.SKIPPED, "answered")


def test_one_slack_call_per_nudge_at_steady_state(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    fake_slack.reset()
    fake_slack.add_channel(SPACE, members=[STUDENT, MENTOR])
    run(database, dispatcher, FIRST_PROMPT)
    assert [call.method for call in fake_slack.calls] == ["chat.postMessage"]


@pytest.mark.parametrize(
    ("late_by", "sent", "skipped"),
    [
        (timedelta(hours=6), 1, 0),  # 15:00 the same day: still in working hours
        (timedelta(hours=9), 0, 1),  # 18:00: the day's hours are over
        (timedelta(days=3), 0, 1),
        (timedelta(weeks=5), 0, 1),  # two and a half periods: still one row, not three
    ],
)
def test_after_downtime_missed_periods_collapse_into_one(
    database: Database,
    dispatcher: Dispatcher,
    pair_id: int,
    late_by: timedelta,
    sent: int,
    skipped: int,
) -> None:
    now = FIRST_PROMPT + late_by
    report = run(database, dispatcher, now)
    assert (report.dispatch.sent, report.dispatch.skipped) == (sent, skipped)
    assert len(rows(database, DeliveryKind.PROMPT)) == 1
    assert pair_of(database, pair_id).next_prompt_at > now


def test_ticking_twice_sends_once(database: Database, dispatcher: Dispatcher, pair_id: int) -> None:
    run(database, dispatcher, FIRST_PROMPT)
    again = run(database, dispatcher, FIRST_PROMPT + timedelta(minutes=1))
    assert (again.plan.planned, again.dispatch.sent) == (0, 0)


def test_two_unanswered_prompts_in_a_row_flag_the_pair_going_cold(
    database: Database, dispatcher: Dispatcher, pair_id: int
) -> None:
    for prompt_at in ("2027-01-19", "2027-02-02", "2027-02-16"):
        run(database, dispatcher, at(f"{prompt_at}T14:00:00Z"))
    pair = pair_of(database, pair_id)
    assert (pair.unanswered_prompts, pair.going_cold) == (2, True)
    prompts = rows(database, DeliveryKind.PROMPT)
    reply_in_thread(database, STUDENT, prompts[-1].ts)
    reply_in_thread(database, MENTOR, prompts[-1].ts)
    assert pair_of(database, pair_id).going_cold is False


def test_a_paused_pair_hears_nothing_until_its_date(
    database: Database, dispatcher: Dispatcher, pair_id: int
) -> None:
    with database.sessions.begin() as session:
        pairs.pause(session.get(Pair, pair_id), until=date(2027, 2, 1), now=START)
    assert run(database, dispatcher, FIRST_PROMPT).dispatch.sent == 0
    assert rows(database) == []
    report = run(database, dispatcher, at("2027-02-01T06:00:00Z"))  # 01:00 on the date, NY
    assert report.plan.resumed == 1
    pair = pair_of(database, pair_id)
    assert pair.state is PairState.ACTIVE
    assert pair.next_prompt_at == at("2027-02-02T14:00:00Z")  # the first Tuesday from then
    assert run(database, dispatcher, at("2027-02-02T14:00:00Z")).dispatch.sent == 1


def test_every_pause_that_is_over_ends_however_many_there_are(
    database: Database, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jobs.planner.BATCH", 2)
    # First by ID: a pause whose date has come in UTC but not yet in Los Angeles. It stays
    # paused, and must not keep the pairs after it from resuming.
    waiting = make_pair(
        database, mentee="U0LA1", mentor="U0LA2", now=START, mentee_tz="America/Los_Angeles"
    )
    over = [make_pair(database, mentee=f"U0P{n}", mentor=f"U0Q{n}", now=START) for n in range(5)]
    with database.sessions.begin() as session:
        for pair_id in [waiting, *over]:
            pairs.pause(session.get(Pair, pair_id), until=date(2027, 2, 1), now=START)
    report = run(database, dispatcher, at("2027-02-01T06:00:00Z"))  # 22:00 yesterday in LA
    assert report.plan.resumed == len(over)
    assert pair_of(database, waiting).state is PairState.PAUSED
    assert {pair_of(database, pair_id).state for pair_id in over} == {PairState.ACTIVE}


def test_a_snoozed_prompt_comes_a_week_later_at_the_same_local_time(
    database: Database,
    dispatcher: Dispatcher,
    slack: SlackSender,
    fake_slack: FakeSlack,
    pair_id: int,
) -> None:
    run(database, dispatcher, FIRST_PROMPT)
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        weekly_on_friday = parse_cadence("weekly on Friday", current=cadence_of(pair), hours=HOURS)
        pairs.set_cadence(pair, cadence=weekly_on_friday, hours=HOURS, now=FIRST_PROMPT)
    assert pair_of(database, pair_id).next_prompt_at == at("2027-01-22T14:00:00Z")
    # Snoozing the 19 January prompt: no nudge for a week after it, so Friday's prompt
    # moves to the 26th; a second press (by the other member) changes nothing.
    shown = [
        press(slack, fake_slack, user=member, action_id="checkin_snooze", value=str(pair_id))
        for member in (MENTOR, STUDENT)
    ]
    assert pair_of(database, pair_id).next_prompt_at == at("2027-01-26T14:00:00Z")
    assert "Snoozed" in shown[0]["text"] and "Nothing to snooze" in shown[1]["text"]
    (follow_up,) = rows(database, DeliveryKind.FOLLOW_UP)
    assert (follow_up.status, follow_up.outcome) == (DeliveryStatus.SKIPPED, "snoozed")
    assert run(database, dispatcher, at("2027-01-22T14:00:00Z")).dispatch.sent == 0
    assert run(database, dispatcher, at("2027-01-26T14:00:00Z")).dispatch.sent == 1


def test_snooze_never_brings_a_later_prompt_forward(
    database: Database,
    dispatcher: Dispatcher,
    slack: SlackSender,
    fake_slack: FakeSlack,
    pair_id: int,
) -> None:
    run(database, dispatcher, FIRST_PROMPT)
    assert pair_of(database, pair_id).next_prompt_at == at("2027-02-02T14:00:00Z")
    # Every two weeks: a week after the 19 January prompt is earlier than the next one, so
    # snoozing only drops the prompt's follow-up.
    shown = press(slack, fake_slack, user=MENTOR, action_id="checkin_snooze", value=str(pair_id))
    assert "Snoozed" in shown["text"]
    assert pair_of(database, pair_id).next_prompt_at == at("2027-02-02T14:00:00Z")
    (follow_up,) = rows(database, DeliveryKind.FOLLOW_UP)
    assert (follow_up.status, follow_up.outcome) == (DeliveryStatus.SKIPPED, "snoozed")


def test_an_ended_pair_gets_a_wrap_up_in_working_hours_and_nothing_else(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    run(database, dispatcher, FIRST_PROMPT)
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        pairs.end(pair, actor=pair.mentee, now=at("2027-01-19T23:00:00Z"))
        plan_wrap_up(session, pair=pair, hours=HOURS, now=at("2027-01-19T23:00:00Z"))
    (wrap_up,) = rows(database, DeliveryKind.WRAP_UP)
    assert wrap_up.due_at == at("2027-01-20T14:00:00Z")  # 18:00 is after hours: next morning
    report = run(database, dispatcher, at("2027-01-22T14:00:00Z"))
    outcomes = {d.kind: d.status for d in rows(database)}
    assert outcomes[DeliveryKind.WRAP_UP] is DeliveryStatus.SENT
    assert outcomes[DeliveryKind.FOLLOW_UP] is DeliveryStatus.SKIPPED
    assert report.plan.planned == 0
    assert "has ended" in fake_slack.calls_to("chat.postMessage")[-1].args["text"]


def test_send_thanks_delivers_the_note_and_keeps_only_the_fact(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    response = slack.interaction(
        view_submission_payload(
            user=STUDENT,
            callback_id="thanks_form",
            values={"note": {"value": {"type": "plain_text_input", "value": "Thank you, truly"}}},
            private_metadata=json.dumps({"pair": pair_id}),
        )
    )
    assert response.status == 200
    (note,) = fake_slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == MENTOR)
    assert "Thank you, truly" in json.dumps(note.args["blocks"])
    fake_slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == STUDENT)
    assert pair_of(database, pair_id).thanks_sent == 1
    assert_database_holds_none_of(database, ["Thank you, truly"])


def test_the_send_thanks_button_opens_the_form(
    slack: SlackSender, fake_slack: FakeSlack, pair_id: int
) -> None:
    payload = block_action_payload(
        user=STUDENT, action_id="gratitude_send_thanks", value=str(pair_id)
    )
    assert slack.interaction(payload).status == 200
    (opened,) = fake_slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "thanks_form"


def test_preview_shows_the_coming_rhythm(database: Database, pair_id: int) -> None:
    out = io.StringIO()
    print_preview(database.sessions, weeks=5, now=START, out=out)
    lines = out.getvalue().splitlines()
    assert any("every 2 weeks on Tuesday at 09:00" in line for line in lines)
    prompts = [line for line in lines if "check-in prompt" in line]
    assert [line.split()[0] for line in prompts] == ["2027-01-19", "2027-02-02"]
    assert all("09:00" in line and "America/New_York" in line for line in prompts)
    follow_ups = [line for line in lines if "follow-up" in line]
    assert follow_ups[0].split()[0] == "2027-01-22"
    assert rows(database) == []  # preview sends and stores nothing


def test_the_prompt_follows_the_mentees_zone(
    database: Database, dispatcher: Dispatcher, pair_id: int
) -> None:
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        pair.mentee.tz = pair.mentor.tz = "Europe/London"
        pair.next_prompt_at = next_prompt_after_checkin(pair, anchor=START, hours=HOURS)
    assert pair_of(database, pair_id).next_prompt_at == at("2027-01-19T09:00:00Z")
    local = at("2027-01-19T09:00:00Z").astimezone(zone("Europe/London"))
    assert local.hour == 9


def test_a_stale_zone_is_refreshed_off_the_nudge_path_and_keeps_the_local_time(
    database: Database, settings: Settings, fake_slack: FakeSlack, pair_id: int
) -> None:
    fake_slack.add_user(STUDENT, tz="Europe/London")
    fake_slack.add_user(MENTOR, tz="Europe/London")
    client = make_web_client(settings)
    assert refresh_stale_profiles(database.sessions, client, hours=HOURS, now=START) == 2
    with database.sessions() as session:
        pair = session.get(Pair, pair_id)
        assert pair.mentee.tz == "Europe/London"
        assert pair.next_prompt_at == at(
            "2027-01-19T09:00:00Z"
        )  # still Tuesday 09:00, now in London
    # Fresh profiles are left alone for a week.
    assert refresh_stale_profiles(database.sessions, client, hours=HOURS, now=START) == 0


@pytest.mark.parametrize(
    ("cadence_text", "mentee_tz", "mentor_tz"),
    [
        ("every 2 weeks on Tuesday at 17:00", "America/New_York", "America/New_York"),
        # 09:00 in London is 01:00 in Los Angeles: the shared hours end at 17:00 London.
        (None, "Europe/London", "America/Los_Angeles"),
    ],
)
def test_a_prompt_due_at_the_end_of_the_day_still_goes_out(
    database: Database,
    dispatcher: Dispatcher,
    fake_slack: FakeSlack,
    cadence_text: str | None,
    mentee_tz: str,
    mentor_tz: str,
) -> None:
    fake_slack.add_channel("G0LATE", members=["U0LATE1", "U0LATE2"])
    pair_id = make_pair(
        database,
        mentee="U0LATE1",
        mentor="U0LATE2",
        now=START,
        mentee_tz=mentee_tz,
        mentor_tz=mentor_tz,
        channel="G0LATE",
    )
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        if cadence_text:
            pairs.set_cadence(
                pair,
                cadence=parse_cadence(cadence_text, current=cadence_of(pair), hours=HOURS),
                hours=HOURS,
                now=START,
            )
        due = pair.next_prompt_at
    assert due.astimezone(zone(mentee_tz)).hour == 17
    assert run(database, dispatcher, due + timedelta(seconds=30)).dispatch.sent == 1


def test_replying_to_a_gratitude_dm_is_not_a_check_in(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    run(database, dispatcher, FIRST_PROMPT)
    (prompt,) = rows(database, DeliveryKind.PROMPT)
    reply_in_thread(database, STUDENT, prompt.ts)
    reply_in_thread(database, MENTOR, prompt.ts)
    run(database, dispatcher, at("2027-01-20T14:00:00Z"))
    (gratitude,) = rows(database, DeliveryKind.GRATITUDE)
    assert gratitude.status is DeliveryStatus.SENT
    with database.sessions.begin() as session:
        recorded = checkins.record_thread_reply(
            session,
            channel_id=gratitude.channel_id,
            thread_ts=gratitude.ts,
            author=STUDENT,
            hours=HOURS,
            now=datetime.now(UTC),
        )
    assert recorded is None


def test_withdrawing_a_request_sends_no_wrap_up(database: Database) -> None:
    with database.sessions.begin() as session:
        mentee, mentor = make_person(session, "U0W1"), make_person(session, "U0W2")
        pair = pairs.request_mentor(
            session, mentee=mentee, mentor=mentor, default_capacity=5, now=START
        )
        pairs.end(pair, actor=mentee, now=START)
        assert plan_wrap_up(session, pair=pair, hours=HOURS, now=START) is False
    assert rows(database) == []
