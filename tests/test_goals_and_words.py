"""Goals and words as people type them: numbers that count within a pair, due dates like
`by Friday` and `by Mar 15` (and a clear refusal of the unreadable, which never lands in the
goal), `for @Dr. Patel` typed by hand, cadences like `every two weeks at 7:30 pm`, and a
pause reason shown to the other member but never stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text

from bot.domain.due_dates import looks_like_a_date, parse_due
from bot.domain.errors import UserError
from bot.service import Database
from bot.store.migrate import alembic_config
from bot.store.models import Goal, GoalStatus, Pair
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.slack_requests import SlackSender, block_action_payload, view_submission_payload
from tests.test_journey import assert_database_holds_none_of, command_text
from tests.test_pairs_flow import dm_to

STUDENT, MENTOR, OTHER_MENTOR, SPACE = "U0STUDENT", "U0MENTOR", "U0MENTOR2", "G0SPACE"
WEDNESDAY = date(2027, 1, 6)
IN_THREE_WEEKS = (datetime.now(UTC) + timedelta(weeks=3)).date().isoformat()


@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("2027-03-01", date(2027, 3, 1)),
        ("Friday", date(2027, 1, 8)),
        ("fri", date(2027, 1, 8)),
        ("this Friday", date(2027, 1, 8)),
        ("next Friday", date(2027, 1, 15)),
        ("Wednesday", WEDNESDAY),  # today is Wednesday: by the end of today
        ("next Monday", date(2027, 1, 11)),
        ("tomorrow", date(2027, 1, 7)),
        ("Mar 15", date(2027, 3, 15)),
        ("March 15th", date(2027, 3, 15)),
        ("15 March", date(2027, 3, 15)),
        ("Jan 2", date(2028, 1, 2)),  # already past this year: next year's
        ("Mar 15, 2028", date(2028, 3, 15)),
        ("end of the month", date(2027, 1, 31)),
        ("next week", date(2027, 1, 15)),
    ],
)
def test_due_dates_as_people_say_them(phrase: str, due: date) -> None:
    assert parse_due(phrase, today=WEDNESDAY) == due


@pytest.mark.parametrize(
    "phrase", ["the end of the rotation", "3/15", "Feb 30", "Friday and Monday", "next year-ish"]
)
def test_an_unreadable_date_is_refused_with_an_example(phrase: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_due(phrase, today=WEDNESDAY)
    assert "not a date I can read" in refused.value.message
    assert refused.value.example and refused.value.example.startswith("/goal add")


@pytest.mark.parametrize(
    ("phrase", "about_time"),
    [
        ("Friday", True),
        ("the end of the rotation", True),
        ("3/15", True),
        ("Dr. Patel", False),
        ("studying 40 questions a day", False),
        ("my friends", False),
        ("myself", False),
    ],
)
def test_which_phrases_after_by_are_dates(phrase: str, about_time: bool) -> None:
    assert looks_like_a_date(phrase) is about_time


# --- in Slack -------------------------------------------------------------------------------------


@pytest.fixture
def pair_id(database: Database, fake_slack: FakeSlack) -> int:
    fake_slack.add_channel(SPACE, members=[STUDENT, MENTOR])
    fake_slack.add_user(MENTOR, name="Raj Patel")
    return make_pair(database, mentee=STUDENT, mentor=MENTOR, channel=SPACE)


def goals_in_db(database: Database) -> list[tuple[int, int, str, date | None]]:
    with database.sessions() as session:
        return [
            (goal.pair_id, goal.number, goal.text, goal.due_on)
            for goal in session.execute(select(Goal).order_by(Goal.id)).scalars()
        ]


def said(slack: SlackSender, command_name: str, words: str, *, user: str = STUDENT) -> str:
    return str(json.loads(command_text(slack, command_name, words, user=user))["text"])


def test_a_due_date_in_words_becomes_a_date_and_leaves_the_goal_text(
    slack: SlackSender, database: Database, pair_id: int
) -> None:
    shown = said(slack, "/goal", "add Draft my personal statement by next Friday")
    assert "Goal 1 added (by " in shown and "): Draft my personal statement" in shown
    ((_, _, goal_text, due),) = goals_in_db(database)
    assert goal_text == "Draft my personal statement" and due is not None and due.weekday() == 4


def test_an_unreadable_date_adds_nothing(
    slack: SlackSender, database: Database, pair_id: int
) -> None:
    shown = said(slack, "/goal", "add Learn to suture by the end of the rotation")
    assert shown.startswith(":warning:") and "not a date I can read" in shown
    assert "For example: `/goal add" in shown
    assert goals_in_db(database) == []


@pytest.mark.parametrize("typed", ["@Dr. Patel", "@patel", "@Raj Patel", "@raj"])
def test_a_mentor_typed_as_plain_text_is_understood(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int, typed: str
) -> None:
    second = make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR)
    fake_slack.add_user(OTHER_MENTOR, name="Mei Chen")
    shown = said(slack, "/goal", f"add Write the case report by Mar 15 for {typed}")
    assert "Goal 1 added" in shown
    ((goal_pair, _, goal_text, due),) = goals_in_db(database)
    assert (goal_pair, goal_text) == (pair_id, "Write the case report")
    assert due is not None and (due.month, due.day) == (3, 15)
    assert goal_pair != second


def test_a_mentor_typed_as_plain_text_who_is_not_one_is_refused(
    slack: SlackSender, database: Database, pair_id: int
) -> None:
    make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR)
    shown = said(slack, "/goal", "add Write the case report for @Dr. Nobody")
    assert "couldn't tell which of your mentors @Dr. Nobody is" in shown
    assert goals_in_db(database) == []


def test_goal_numbers_count_within_each_pair(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    second = make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR)
    for words in ("First for Patel", "Second for Patel"):
        said(slack, "/goal", f"add {words} for <@{MENTOR}>")
    said(slack, "/goal", f"add First for Chen for <@{OTHER_MENTOR}>")
    said(slack, "/goal", f"add Third for Patel for <@{MENTOR}>")
    numbers = {(p, n) for p, n, _, _ in goals_in_db(database)}
    assert numbers == {(pair_id, 1), (pair_id, 2), (pair_id, 3), (second, 1)}
    # The mentor sees 1, 2, 3 — not 1, 2, 4.
    blocks = json.loads(command_text(slack, "/goal", "list", user=MENTOR))["blocks"]
    shown = json.dumps(blocks)
    assert "1. First for Patel" in shown and "3. Third for Patel" in shown

    # "/goal done 1" is ambiguous with two mentors: Rounds asks with buttons.
    reply = json.loads(command_text(slack, "/goal", "done 1", user=STUDENT))
    assert "Which one is done?" in reply["text"]
    value = next(
        b["accessory"]["value"]
        for b in reply["blocks"]
        if "accessory" in b and f"<@{OTHER_MENTOR}>" in json.dumps(b)
    )
    response_url = fake_slack.new_response_url()
    payload = block_action_payload(
        user=STUDENT, action_id="goal_choose_to_close", value=value, response_url=response_url
    )
    assert slack.interaction(payload).status == 200
    chosen, done_answer = fake_slack.wait_for_response(response_url, count=2)
    assert chosen["replace_original"] is True  # the question's buttons are spent
    assert "Goal 1 done" in done_answer["text"]
    assert "Goal 2 done" in said(slack, "/goal", "done 2")  # only Patel has a goal 2
    assert "Goal 1 done" in said(slack, "/goal", f"done 1 for <@{MENTOR}>")
    with database.sessions() as session:
        done = session.execute(
            select(Goal.pair_id, Goal.number).where(Goal.status == GoalStatus.DONE)
        ).all()
    assert set(done) == {(second, 1), (pair_id, 2), (pair_id, 1)}


def test_a_mentor_hears_that_goals_belong_to_the_mentee(
    slack: SlackSender, database: Database, pair_id: int
) -> None:
    said(slack, "/goal", "add Shadow in the OR")
    shown = said(slack, "/goal", "done 1", user=MENTOR)
    assert "Goals belong to the mentee" in shown and f"<@{STUDENT}> marks them done" in shown
    with database.sessions() as session:
        assert session.execute(select(Goal.status)).scalar_one() is GoalStatus.OPEN


def test_with_several_mentors_the_check_in_form_still_asks_which_goals_moved(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    second = make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR, channel="G0SPACE2")
    fake_slack.add_channel("G0SPACE2", members=[STUDENT, OTHER_MENTOR])
    said(slack, "/goal", f"add Read two papers for <@{MENTOR}>")
    said(slack, "/goal", f"add Learn suturing for <@{OTHER_MENTOR}>")
    slack.command("/checkin", "", user=STUDENT)
    (opened,) = fake_slack.wait_for("views.open")
    view = opened.args["view"]
    goals_block = next(b for b in view["blocks"] if b.get("block_id") == "goals")
    options = {o["value"]: o["text"]["text"] for o in goals_block["element"]["options"]}
    assert options.keys() == {f"{pair_id}:1", f"{second}:1"}
    assert "Read two papers" in options[f"{pair_id}:1"]

    def submit(ticked: list[str]) -> dict:
        values = {
            "pair": {"value": {"type": "static_select", "selected_option": {"value": str(second)}}},
            "mind": {"value": {"type": "plain_text_input", "value": "Sutured twice!"}},
            "goals": {
                "value": {
                    "type": "checkboxes",
                    "selected_options": [{"value": value} for value in ticked],
                }
            },
        }
        payload = view_submission_payload(
            user=STUDENT,
            callback_id="checkin_form",
            values=values,
            private_metadata=view["private_metadata"],
        )
        return slack.interaction(payload).json

    refused = submit([f"{pair_id}:1"])  # Patel's goal, while checking in with Chen
    assert refused["response_action"] == "errors" and "goals" in refused["errors"]
    assert submit([f"{second}:1"]) == {}
    (post,) = fake_slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == "G0SPACE2")
    assert "Learn suturing" in json.dumps(post.args["blocks"])


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("every two weeks", "every 2 weeks on Tuesday at 09:00"),
        ("every other week on Thursdays", "every 2 weeks on Thursday at 09:00"),
        ("weekly at 4pm", "weekly on Tuesday at 16:00"),
        ("every three weeks on fri at 9:30 am", "every 3 weeks on Friday at 09:30"),
        ("monthly at 10:15", "monthly on Tuesday at 10:15"),
    ],
)
def test_cadence_in_words(slack: SlackSender, pair_id: int, words: str, expected: str) -> None:
    shown = said(slack, "/mentor", f"cadence <@{MENTOR}> {words}")
    assert f"Check-ins are now {expected} your time" in shown


def test_an_evening_time_inside_the_mentees_own_hours_is_accepted(
    slack: SlackSender, pair_id: int
) -> None:
    refused = said(slack, "/mentor", f"cadence <@{MENTOR}> weekly at 7pm")
    assert "working hours" in refused and "19:00 is outside them" in refused
    said(slack, "/mentor", "hours 12:00-20:00")
    assert "weekly on Tuesday at 19:00" in said(
        slack, "/mentor", f"cadence <@{MENTOR}> weekly at 7pm"
    )


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ("for 2 weeks — ICU nights", "ICU nights"),
        ("for two weeks: Step 1 dedicated", "Step 1 dedicated"),
        (f"until {IN_THREE_WEEKS} - exams", "exams"),
        ("for 3 weeks because of night float", "night float"),
    ],
)
def test_a_pause_reason_is_shown_to_the_other_member_and_not_stored(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    pair_id: int,
    words: str,
    reason: str,
) -> None:
    shown = said(slack, "/mentor", f"pause <@{STUDENT}> {words}", user=MENTOR)
    assert "No nudges with" in shown and reason in shown
    (told,) = fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "paused your Rounds"))
    assert f"— {reason}." in told.args["text"]
    with database.sessions() as session:
        assert session.get(Pair, pair_id).paused_reason is None
    assert_database_holds_none_of(database, [reason])


def test_a_pause_reason_with_patient_information_pauses_nothing(
    slack: SlackSender, database: Database, pair_id: int
) -> None:
    shown = said(slack, "/mentor", f"pause <@{STUDENT}> for 2 weeks — covering bed 14", user=MENTOR)
    assert "may contain patient information" in shown and "Nothing was paused" in shown
    with database.sessions() as session:
        assert session.get(Pair, pair_id).state.value == "active"


# --- goal numbers of existing data --------------------------------------------------------------


def test_the_migration_renumbers_goals_within_each_pair(database: Database) -> None:
    config = alembic_config(database.engine)
    command.downgrade(config, "0001")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspaces (id, team_id, created_at) VALUES (1, 'T0001', "
                "'2027-01-01 00:00:00+00')"
            )
        )
        for person_id in (1, 2, 3):
            connection.execute(
                text(
                    "INSERT INTO people (id, workspace_id, slack_user_id, is_slack_admin, "
                    "is_coordinator, created_at) VALUES "
                    f"({person_id}, 1, 'U{person_id}', false, false, '2027-01-01 00:00:00+00')"
                )
            )
        for pair_id, mentor_id in ((1, 2), (2, 3)):
            connection.execute(
                text(
                    "INSERT INTO pairs (id, workspace_id, mentee_id, mentor_id, state, "
                    "cadence_unit, cadence_interval, cadence_weekday, cadence_time, "
                    "unanswered_prompts, going_cold, thanks_sent, requested_at) VALUES "
                    f"({pair_id}, 1, 1, {mentor_id}, 'active', 'week', 2, 1, '09:00:00', 0, "
                    "false, 0, '2027-01-01 00:00:00+00')"
                )
            )
        # Numbered per mentee, as before: pair 1 has 1, 3, 4; pair 2 has 2.
        for goal_id, pair_id, number in ((1, 1, 1), (2, 2, 2), (3, 1, 3), (4, 1, 4)):
            connection.execute(
                text(
                    "INSERT INTO goals (id, pair_id, mentee_id, number, text, status, "
                    f"created_at) VALUES ({goal_id}, {pair_id}, 1, {number}, 'g{goal_id}', "
                    "'open', '2027-01-01 00:00:00+00')"
                )
            )
    command.upgrade(config, "head")
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, pair_id, number FROM goals ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, 1, 1), (2, 2, 1), (3, 1, 2), (4, 1, 3)]
        count = connection.execute(select(func.count()).select_from(Goal)).scalar()
        assert count == 4
