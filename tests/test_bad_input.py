"""Every malformed, ambiguous or unauthorized command gets a private answer that says what
was wrong and shows a correct example — never an error screen, never lost data."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.service import Database
from bot.store.models import Goal, Pair, Person
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair, make_person
from tests.slack_requests import SlackSender, block_action_payload

STUDENT, MENTOR, STRANGER = "U0STUDENT", "U0MENTOR", "U0STRANGER"
M = f"<@{MENTOR}|patel>"

CASES = [
    # (who, command, text, what the answer must say)
    (STUDENT, "/mentor", "dance", "isn't a command"),
    (STUDENT, "/mentor", "request", "Name the mentor you'd like with an @mention"),
    (STUDENT, "/mentor", "request @jane", "couldn't tell who @jane is"),
    (STUDENT, "/mentor", "request jane", "isn't one"),
    (STRANGER, "/mentor", f"request <@{STRANGER}>", "can't mentor yourself"),
    (STRANGER, "/mentor", "request <@UBOT>", "is a bot"),
    (STRANGER, "/mentor", "request <@C0CHANNEL>", "isn't one"),
    (STUDENT, "/mentor", f"request {M}", "already paired"),
    (STUDENT, "/mentor", f"pair <@{STRANGER}> {M}", "Only program coordinators"),
    (STUDENT, "/mentor", f"coordinator add <@{STRANGER}>", "Only program coordinators"),
    (STUDENT, "/mentor", f"cadence <@{STRANGER}> weekly", "are not paired"),
    (STUDENT, "/mentor", f"cadence {M} sometimes", "Say how often"),
    (STUDENT, "/mentor", f"cadence {M} every 9 weeks", "weekly up to every 8 weeks"),
    (STUDENT, "/mentor", f"cadence {M} every 0 weeks", "weekly up to every 8 weeks"),
    (STUDENT, "/mentor", f"cadence {M} weekly on Saturday", "weekdays only"),
    (STUDENT, "/mentor", f"cadence {M} weekly on Funday", "don't know the weekday"),
    (STUDENT, "/mentor", f"cadence {M} weekly at 20:00", "working hours"),
    (STUDENT, "/mentor", f"cadence {M} weekly at 25:99", "not a time"),
    (STUDENT, "/mentor", f"pause {M}", "Say how long"),
    (STUDENT, "/mentor", f"pause {M} until 2020-01-01", "Pick a date after today"),
    (STUDENT, "/mentor", f"pause {M} until 2027-02-30", "not a date"),
    (STUDENT, "/mentor", f"pause {M} for lots weeks", "number of weeks"),
    (STUDENT, "/mentor", f"pause {M} for 40 weeks", "1 to 26 weeks"),
    (STUDENT, "/mentor", f"resume {M}", "not paused"),
    (STRANGER, "/mentor", f"end {M}", "are not paired"),
    (STRANGER, "/mentor", f"end <@{STUDENT}> {M}", "Only program coordinators"),
    (STUDENT, "/goal", "", "Say what to do with your goals"),
    (STUDENT, "/goal", "fly", "isn't a command"),
    (STUDENT, "/goal", "add", "Say what the goal is"),
    (STUDENT, "/goal", "add " + "x" * 301, "under 300 characters"),
    (STUDENT, "/goal", "add Apply by 2020-01-01", "has passed"),
    (STUDENT, "/goal", "add Apply by 2027/03/01", "not a date"),
    (STUDENT, "/goal", "done ²", "goal number"),
    (STUDENT, "/mentor", f"pause {M} for ² weeks", "number of weeks"),
    (STUDENT, "/mentor", f"cadence {M} every ³ weeks", "weekly up to every 8 weeks"),
    (STUDENT, "/goal", f"add Apply for <@{STRANGER}>", "isn't one of your mentors"),
    (STUDENT, "/goal", "done 99", "You have no goal 99"),
    (STUDENT, "/goal", "done two", "goal number"),
    (STUDENT, "/goal", "drop", "goal number"),
    (MENTOR, "/goal", "add Learn to teach", "Goals belong to the mentee"),
    (STRANGER, "/goal", "add Match into surgery", "You need a mentor"),
    (STRANGER, "/checkin", "Here is my update", "You need a mentor"),
    (MENTOR, "/checkin", "Here is my update", "Check-ins come from the mentee"),
    (STUDENT, "/checkin", "x" * 3001, "under 3000 characters"),
]


@pytest.fixture
def paired(database: Database) -> int:
    return make_pair(database, mentee=STUDENT, mentor=MENTOR, channel="G0SPACE")


def visible_answer(slack: SlackSender, command: str, text: str, user: str) -> dict:
    reply, response_url = slack.command(command, text, user=user)
    assert reply.status == 200
    if reply.body:
        return reply.json
    return slack.fake_slack.wait_for_response(response_url)[-1]


@pytest.mark.parametrize(("who", "command", "text", "complaint"), CASES)
def test_bad_commands_get_a_clear_private_answer_with_an_example(
    slack: SlackSender, paired: int, who: str, command: str, text: str, complaint: str
) -> None:
    answer = visible_answer(slack, command, text, who)
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    assert complaint in answer["text"]
    assert answer["text"].startswith(":warning:")
    assert "For example: `/" in answer["text"]


def test_a_mentor_at_capacity_is_protected(slack: SlackSender, database: Database) -> None:
    with database.sessions.begin() as session:
        make_person(session, MENTOR, mentor_capacity=1)
    make_pair(database, mentee="U0FIRST", mentor=MENTOR)
    answer = visible_answer(slack, "/mentor", f"request {M} hello", STUDENT)
    assert "already mentors 1 students, their limit" in answer["text"]


def test_a_stranger_cannot_press_a_pairs_buttons(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, paired: int
) -> None:
    response_url = fake_slack.new_response_url()
    payload = block_action_payload(
        user=STRANGER, action_id="checkin_we_met", value=str(paired), response_url=response_url
    )
    assert slack.interaction(payload).status == 200
    (answer,) = fake_slack.wait_for_response(response_url)
    assert "out of date" in answer["text"]
    with database.sessions() as session:
        assert session.get(Pair, paired).last_complete_checkin_at is None


@pytest.mark.parametrize("value", ["", "not-a-number", "999999", json.dumps({"pair": "x"})])
def test_forged_button_values_are_refused_politely(
    slack: SlackSender, fake_slack: FakeSlack, paired: int, value: str
) -> None:
    for action_id in ("checkin_we_met", "pair_accept", "goal_choose_pair", "checkin_snooze"):
        response_url = fake_slack.new_response_url()
        payload = block_action_payload(
            user=STUDENT, action_id=action_id, value=value, response_url=response_url
        )
        assert slack.interaction(payload).status == 200
        (answer,) = fake_slack.wait_for_response(response_url)
        assert answer["text"].startswith(":warning:"), (action_id, answer)
        assert "Sorry" not in answer["text"]


def test_refusals_change_nothing(slack: SlackSender, database: Database, paired: int) -> None:
    with database.sessions() as session:
        before = [session.scalar(select(func.count()).select_from(t)) for t in (Pair, Goal, Person)]
    for who, command, text, _ in CASES:
        slack.command(command, text, user=who)
    with database.sessions() as session:
        after = [session.scalar(select(func.count()).select_from(t)) for t in (Pair, Goal, Person)]
    assert after[:2] == before[:2]  # people may be met; pairs and goals untouched
