"""What counts as a check-in round, through Slack-signed requests: every post of an open round
counts, only the first answer does, replies sent to the channel or with a file are answers,
snooze only postpones, forms keep the person's words until Slack has them, and a double click
acts once."""

from __future__ import annotations

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from bot.domain import checkins
from bot.domain.cadence import WorkingHours
from bot.domain.nudges import snooze
from bot.service import Database
from bot.store.migrate import alembic_config, upgrade_to_head
from bot.store.models import CheckIn, CheckInPost, Goal, Pair, ProcessedEvent
from jobs.dispatcher import Dispatcher
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack
from tests.conftest import NUDGE_MENTEE, NUDGE_MENTOR, NUDGE_SPACE
from tests.factories import make_pair
from tests.slack_requests import (
    Reply,
    SlackSender,
    block_action_payload,
    view_submission_payload,
)
from tests.test_journey import command_text
from tests.test_pairs_flow import add_sent_prompt, dm_to, pair_row, press

STUDENT, MENTOR, OTHER_MENTOR, SPACE = NUDGE_MENTEE, NUDGE_MENTOR, "U0MENTOR2", NUDGE_SPACE
PROMPT_TS = "1700000000.000100"
HOURS = WorkingHours()
_event_numbers = itertools.count(1)


@pytest.fixture
def space_pair(database: Database, fake_slack: FakeSlack) -> int:
    """An active pair whose check-in space is open, started now."""
    fake_slack.add_channel(SPACE, members=[STUDENT, MENTOR])
    return make_pair(database, mentee=STUDENT, mentor=MENTOR, channel=SPACE)


def check_in(slack: SlackSender, text: str) -> tuple[str, str]:
    """/checkin <text>; returns what the student was told and the post's ts."""
    shown = command_text(slack, "/checkin", text, user=STUDENT)
    assert "Posted to your check-in space" in shown
    posts = [m for m in slack.fake_slack.messages(SPACE) if text in m["text"]]
    assert len(posts) == 1
    return shown, str(posts[0]["ts"])


def wait_until_processed(database: Database, event_id: str, timeout: float = 5.0) -> None:
    """Rounds records an event's ID in the transaction that handles it: once the ID is there,
    the handler has finished, whatever it decided."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.sessions() as session:
            if session.get(ProcessedEvent, event_id) is not None:
                return
        time.sleep(0.02)
    raise AssertionError(f"event {event_id} was not processed within {timeout}s")


def send_event(slack: SlackSender, database: Database, event: dict[str, Any]) -> None:
    event_id = f"Ev0ROUND{next(_event_numbers):06d}"
    assert slack.event(event, event_id=event_id).status == 200
    wait_until_processed(database, event_id)


def reply(
    slack: SlackSender,
    database: Database,
    *,
    user: str,
    thread_ts: str,
    text: str = "Thanks!",
    **fields: Any,
) -> None:
    """A member's reply in a thread of the check-in space, handled to the end."""
    event = {
        "type": "message",
        "channel": SPACE,
        "channel_type": "mpim",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "thread_ts": thread_ts,
        **fields,
    }
    send_event(slack, database, event)


def rounds(database: Database) -> list[CheckIn]:
    with database.sessions() as session:
        return list(session.execute(select(CheckIn).order_by(CheckIn.id)).scalars())


def assert_noted(fake_slack: FakeSlack, count: int) -> None:
    """Exactly `count` replies were acknowledged with a reaction. Rounds reacts after it has
    committed the answer, so wait for them first."""
    if count:
        fake_slack.wait_for("reactions.add", count=count)
    assert len(fake_slack.calls_to("reactions.add")) == count


# --- Item 5: every post of an open round counts ---------------------------------------------


def test_a_reply_to_the_first_of_two_check_in_posts_counts(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    _, first = check_in(slack, "Shadowed in the OR twice")
    _, second = check_in(slack, "Also: a question about research electives")
    assert first != second
    reply(slack, database, user=MENTOR, thread_ts=first, text="Great — let's talk Thursday")
    (checkin,) = rounds(database)
    assert checkin.mentor_responded_at is not None and checkin.completed_at is not None
    assert_noted(fake_slack, 1)
    assert pair_row(database, space_pair).last_complete_checkin_at == checkin.completed_at


def test_a_reply_to_the_second_check_in_post_counts_too(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    _, first = check_in(slack, "Shadowed in the OR twice")
    _, second = check_in(slack, "Also: a question about research electives")
    reply(slack, database, user=MENTOR, thread_ts=second, text="Happy to help")
    (checkin,) = rounds(database)
    assert checkin.completed_at is not None
    # The first post belongs to the same round, which is answered now: nothing more counts.
    reply(slack, database, user=MENTOR, thread_ts=first, text="And about the OR…")
    assert_noted(fake_slack, 1)


# --- Item 6: only the first answer counts ----------------------------------------------------


def test_thanks_in_a_finished_check_in_thread_do_not_open_a_new_round(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    _, post = check_in(slack, "Matched with a research lab")
    reply(slack, database, user=MENTOR, thread_ts=post, text="Congratulations!")
    (answered,) = rounds(database)
    before = pair_row(database, space_pair)
    assert answered.completed_at is not None

    reply(slack, database, user=STUDENT, thread_ts=post, text="Thank you so much!")
    reply(slack, database, user=MENTOR, thread_ts=post, text="Any time")

    assert [r.id for r in rounds(database)] == [answered.id]  # no second round
    after = pair_row(database, space_pair)
    assert after.last_complete_checkin_at == before.last_complete_checkin_at
    assert after.next_prompt_at == before.next_prompt_at  # the cadence did not restart
    assert_noted(fake_slack, 1)  # the thank-yous are not "noted" as answers


def test_a_mentors_afterthought_does_not_answer_the_next_check_in(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    _, post = check_in(slack, "Matched with a research lab")
    reply(slack, database, user=MENTOR, thread_ts=post, text="Congratulations!")
    reply(slack, database, user=MENTOR, thread_ts=post, text="Oh, and read their last paper")

    shown, _ = check_in(slack, "Read the paper; questions on methods")
    assert "complete check-in" not in shown
    first, second = rounds(database)
    assert first.completed_at is not None
    assert (second.mentor_responded_at, second.completed_at) == (None, None)


def test_thanks_in_an_answered_nudge_thread_do_not_open_a_new_round(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    add_sent_prompt(database, space_pair, channel=SPACE, ts=PROMPT_TS)
    reply(slack, database, user=STUDENT, thread_ts=PROMPT_TS, text="Busy week on wards")
    reply(slack, database, user=MENTOR, thread_ts=PROMPT_TS, text="Hang in there")
    (answered,) = rounds(database)
    assert answered.completed_at is not None

    reply(slack, database, user=STUDENT, thread_ts=PROMPT_TS, text="Thanks!")
    reply(slack, database, user=MENTOR, thread_ts=PROMPT_TS, text="You're welcome")
    assert [r.id for r in rounds(database)] == [answered.id]
    assert_noted(fake_slack, 2)


def test_a_nudge_answered_by_we_met_takes_no_more_answers(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    add_sent_prompt(database, space_pair, channel=SPACE, ts=PROMPT_TS)
    press(slack, fake_slack, user=MENTOR, action_id="checkin_we_met", value=str(space_pair))
    (met,) = rounds(database)
    reply(slack, database, user=MENTOR, thread_ts=PROMPT_TS, text="Good talk today")
    assert [r.id for r in rounds(database)] == [met.id]
    assert_noted(fake_slack, 0)


# --- Item 7: replies with a subtype --------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"subtype": "thread_broadcast", "root": {"ts": "x"}}, id="also-to-channel"),
        pytest.param(
            {
                "subtype": "file_share",
                "upload": False,
                "display_as_bot": False,
                "files": [{"id": "F0NOTES", "name": "notes.pdf", "mode": "hosted"}],
            },
            id="with-a-file",
        ),
    ],
)
def test_a_reply_sent_to_the_channel_too_or_with_a_file_is_an_answer(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    space_pair: int,
    fields: dict[str, Any],
) -> None:
    _, post = check_in(slack, "Drafted my personal statement")
    if "root" in fields:
        fields = {**fields, "root": {"ts": post, "user": "UBOT", "text": "Check-in from …"}}
    reply(slack, database, user=MENTOR, thread_ts=post, text="Comments attached", **fields)
    (checkin,) = rounds(database)
    assert checkin.mentor_responded_at is not None and checkin.completed_at is not None
    assert_noted(fake_slack, 1)


def test_edits_deletions_and_bot_posts_in_a_thread_are_not_answers(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    _, post = check_in(slack, "Drafted my personal statement")
    now = f"{time.time():.6f}"
    original = {"type": "message", "user": MENTOR, "text": "hi", "ts": now, "thread_ts": post}
    for event in (
        {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": SPACE,
            "ts": f"{time.time():.6f}",
            "message": {**original, "text": "hi!", "edited": {"user": MENTOR, "ts": now}},
            "previous_message": original,
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": SPACE,
            "ts": f"{time.time():.6f}",
            "deleted_ts": now,
            "previous_message": original,
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0OTHERAPP",
            "user": MENTOR,  # an app posting on the mentor's behalf
            "channel": SPACE,
            "text": "Auto-reply: out of office",
            "ts": f"{time.time():.6f}",
            "thread_ts": post,
        },
    ):
        send_event(slack, database, event)
    (checkin,) = rounds(database)
    assert (checkin.mentor_responded_at, checkin.completed_at) == (None, None)
    assert_noted(fake_slack, 0)


# --- Item 9: snooze only postpones -----------------------------------------------------------


def test_snoozing_an_old_prompt_never_brings_the_next_one_earlier(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack, pair_id: int
) -> None:
    tuesday_prompt = datetime(2027, 1, 19, 14, 0, tzinfo=UTC)
    tick(database.sessions, dispatcher, now=tuesday_prompt)
    thursday = datetime(2027, 1, 21, 15, 0, tzinfo=UTC)
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        # They met on Thursday: the cadence restarts, two weeks from then.
        checkins.record_meeting(
            session, pair=pair, actor=pair.mentor, met_on=None, hours=HOURS, now=thursday
        )
        restarted = pair.next_prompt_at
        assert restarted is not None and restarted > tuesday_prompt + timedelta(weeks=1)
        # A snooze pressed afterwards on Tuesday's prompt ("a week after it") must not
        # bring the restarted prompt forward.
        result = snooze(session, pair, hours=HOURS, now=thursday + timedelta(hours=1))
        assert pair.next_prompt_at == restarted
        assert result.next_prompt_at == restarted and result.moved is False


def test_snooze_on_an_old_prompt_through_the_button_changes_nothing_when_later(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    add_sent_prompt(database, space_pair, channel=SPACE, ts=PROMPT_TS)
    press(slack, fake_slack, user=MENTOR, action_id="checkin_we_met", value=str(space_pair))
    restarted = pair_row(database, space_pair).next_prompt_at
    shown = press(
        slack, fake_slack, user=STUDENT, action_id="checkin_snooze", value=str(space_pair)
    )
    assert pair_row(database, space_pair).next_prompt_at == restarted
    assert "already" in shown["text"]
    assert not [m for m in fake_slack.messages(SPACE) if "snoozed" in m["text"]]


# --- Item 10: forms keep the person's words until Slack has them -----------------------------

VIEW_ID = "V0CHECKINFORM"


def checkin_form(pair_id: int, mind: str, *, view_id: str = VIEW_ID) -> dict[str, Any]:
    submission = view_submission_payload(
        user=STUDENT,
        callback_id="checkin_form",
        values={"mind": {"value": {"type": "plain_text_input", "value": mind}}},
        private_metadata=json.dumps({"pair": pair_id}),
    )
    submission["view"]["id"] = view_id
    return submission


def thanks_form(pair_id: int, note: str, *, view_id: str = "V0THANKSFORM") -> dict[str, Any]:
    submission = view_submission_payload(
        user=STUDENT,
        callback_id="thanks_form",
        values={"note": {"value": {"type": "plain_text_input", "value": note}}},
        private_metadata=json.dumps({"pair": pair_id}),
    )
    submission["view"]["id"] = view_id
    return submission


def submit_until_it_closes(
    slack: SlackSender, submission: dict[str, Any], *, field: str, tries: int = 5
) -> list[str]:
    """Press the form's submit button until the modal closes, as a person would; returns the
    errors shown in the meantime."""
    shown: list[str] = []
    for _ in range(tries):
        response: Reply = slack.interaction(submission)
        assert response.status == 200
        if not response.body:
            return shown
        assert response.json["response_action"] == "errors", response.json
        shown.append(response.json["errors"][field])
    raise AssertionError(f"the form never closed; it said {shown}")


def check_in_posts(fake_slack: FakeSlack, words: str) -> list[dict[str, Any]]:
    return [m for m in fake_slack.messages(SPACE) if words in json.dumps(m.get("blocks"))]


def test_a_check_in_form_stays_open_through_a_slack_outage(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    words = "Worried about my Step 1 score"
    fake_slack.fail_next("chat.postMessage", status=503, times=3)
    errors = submit_until_it_closes(slack, checkin_form(space_pair, words), field="mind")
    assert errors and all("Post again" in error for error in errors)
    (post,) = check_in_posts(fake_slack, words)
    # Recorded after the form closed; the confirmation follows the commit.
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "Posted to your check-in space"))
    (checkin,) = rounds(database)
    assert checkin.mentee_checked_in_at is not None
    # The round knows the post, so the mentor's answer in its thread counts.
    reply(slack, database, user=MENTOR, thread_ts=post["ts"], text="Let's talk")
    assert rounds(database)[0].completed_at is not None


def test_a_check_in_form_refused_by_slack_records_nothing(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    fake_slack.fail_next("chat.postMessage", status=503, times=3)
    response = slack.interaction(checkin_form(space_pair, "Worried about my Step 1 score"))
    assert response.json["response_action"] == "errors"
    assert rounds(database) == []
    assert pair_row(database, space_pair).last_complete_checkin_at is None


def test_a_check_in_slack_is_slow_to_confirm_is_posted_once(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    words = "Worried about my Step 1 score"
    # Slack takes the post but answers only after the form's time is up.
    fake_slack.delay("chat.postMessage", 3.5)
    first = slack.interaction(checkin_form(space_pair, words))
    assert first.json["response_action"] == "errors"
    assert "Post again" in first.json["errors"]["mind"]
    assert rounds(database) == []  # not confirmed, not recorded
    assert len(check_in_posts(fake_slack, words)) == 1  # but it did reach Slack

    second = slack.interaction(checkin_form(space_pair, words))
    assert second.status == 200 and second.body == b""
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "Posted to your check-in space"))
    (post,) = check_in_posts(fake_slack, words)  # found, not posted twice
    (checkin,) = rounds(database)
    assert checkin.mentee_checked_in_at is not None
    reply(slack, database, user=MENTOR, thread_ts=post["ts"], text="Let's talk")
    assert rounds(database)[0].completed_at is not None


def test_a_form_is_not_stuck_when_slack_refuses_the_look_up_for_an_earlier_try(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    words = "Worried about my Step 1 score"
    fake_slack.fail_next("chat.postMessage", status=503)  # in doubt: looked for next time
    fake_slack.fail_next("conversations.history", error="missing_scope")
    errors = submit_until_it_closes(slack, checkin_form(space_pair, words), field="mind")
    assert len(errors) == 1
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "Posted to your check-in space"))
    assert len(rounds(database)) == 1


def test_a_check_in_form_slack_refuses_for_good_says_so_and_keeps_the_words(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    fake_slack.fail_next("chat.postMessage", error="is_archived")
    response = slack.interaction(checkin_form(space_pair, "Worried about my Step 1 score"))
    error = response.json["errors"]["mind"]
    assert "is_archived" in error and "Copy your words" in error
    assert rounds(database) == []


@pytest.mark.parametrize("fault", ["outage", "slow"])
def test_a_thanks_note_stays_in_its_form_until_slack_has_it(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int, fault: str
) -> None:
    note = "Thank you for the time you gave me this term"
    if fault == "outage":
        fake_slack.fail_next("chat.postMessage", status=502, times=3)
    else:
        fake_slack.delay("chat.postMessage", 3.5)
    errors = submit_until_it_closes(slack, thanks_form(space_pair, note), field="note")
    assert errors and all("Send again" in error for error in errors)
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "Your thanks went to"))
    notes = [m for m in fake_slack.messages(MENTOR) if note in json.dumps(m.get("blocks"))]
    assert len(notes) == 1
    assert pair_row(database, space_pair).thanks_sent == 1


# --- Double clicks on "This one" / "Post here" ------------------------------------------------


def final_answer(fake_slack: FakeSlack, url: str, words: tuple[str, ...]) -> str:
    """The first answer on a response_url that says how the click ended (not "working on it")."""
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        for post in fake_slack.response_url_posts(url):
            if any(word in post.get("text", "") for word in words):
                return str(post["text"])
        time.sleep(0.02)
    raise AssertionError(f"no final answer on {url}: {fake_slack.response_url_posts(url)}")


def click_twice(
    slack: SlackSender, fake_slack: FakeSlack, *, action_id: str, value: str, ends: tuple[str, ...]
) -> list[str]:
    """Two clicks on the same button of the same message, arriving together; returns how each
    click was answered in the end."""
    container = {
        "type": "message",
        "message_ts": "1700000500.000200",
        "channel_id": "C0GENERAL",
        "is_ephemeral": True,
    }
    urls = [fake_slack.new_response_url() for _ in range(2)]
    payloads = [
        block_action_payload(
            user=STUDENT, action_id=action_id, value=value, response_url=url, container=container
        )
        for url in urls
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert all(r.status == 200 for r in pool.map(slack.interaction, payloads))
    return [final_answer(fake_slack, url, ends) for url in urls]


def choice_value(reply_json: dict[str, Any], mentor: str) -> str:
    return next(
        block["accessory"]["value"]
        for block in reply_json["blocks"]
        if f"<@{mentor}>" in json.dumps(block) and "accessory" in block
    )


def test_a_double_click_on_this_one_adds_the_goal_once(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    make_pair(database, mentee=STUDENT, mentor=MENTOR)
    second = make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR)
    response, _ = slack.command("/goal", "add Publish a case report", user=STUDENT)
    value = choice_value(response.json, OTHER_MENTOR)
    answers = click_twice(
        slack, fake_slack, action_id="goal_choose_pair", value=value, ends=("added",)
    )
    with database.sessions() as session:
        (goal,) = session.execute(select(Goal)).scalars().all()
        assert (goal.pair_id, goal.text) == (second, "Publish a case report")
    assert any("already added" in text for text in answers), answers
    # Asking again is a new request: it adds a goal as asked.
    response, _ = slack.command("/goal", "add Publish a case report", user=STUDENT)
    again = choice_value(response.json, OTHER_MENTOR)
    assert again != value
    url = fake_slack.new_response_url()
    slack.interaction(
        block_action_payload(
            user=STUDENT, action_id="goal_choose_pair", value=again, response_url=url
        )
    )
    assert "Goal 2 added" in final_answer(fake_slack, url, ("added",))
    with database.sessions() as session:
        assert len(session.execute(select(Goal)).scalars().all()) == 2


def test_a_double_click_on_post_here_posts_once(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    fake_slack.add_channel("G0SECOND", members=[STUDENT, OTHER_MENTOR])
    make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR, channel="G0SECOND")
    words = "Presented my poster today"
    response, _ = slack.command("/checkin", words, user=STUDENT)
    value = choice_value(response.json, MENTOR)
    answers = click_twice(
        slack, fake_slack, action_id="checkin_choose_pair", value=value, ends=("osted",)
    )
    assert len(check_in_posts(fake_slack, words)) == 1
    assert len(rounds(database)) == 1
    assert any("already posted" in text for text in answers), answers


# --- The migration keeps every post a round already had --------------------------------------


def test_the_migration_moves_each_rounds_post_into_checkin_posts(database: Database) -> None:
    config = alembic_config(database.engine)
    command.downgrade(config, "0001")
    try:
        with database.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO workspaces (id, team_id, created_at) VALUES (1, 'T0', :now)"),
                {"now": datetime.now(UTC)},
            )
            for person_id in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO people (id, workspace_id, slack_user_id, is_slack_admin, "
                        "is_coordinator, created_at) VALUES (:id, 1, :user, false, false, :now)"
                    ),
                    {"id": person_id, "user": f"U{person_id}", "now": datetime.now(UTC)},
                )
            connection.execute(
                text(
                    "INSERT INTO pairs (id, workspace_id, mentee_id, mentor_id, state, "
                    "cadence_unit, cadence_interval, cadence_weekday, cadence_time, "
                    "unanswered_prompts, going_cold, thanks_sent, requested_at) VALUES "
                    "(1, 1, 1, 2, 'active', 'week', 2, 1, '09:00:00', 0, false, 0, :now)"
                ),
                {"now": datetime.now(UTC)},
            )
            for checkin_id, channel, ts in ((1, "G1", "1.1"), (2, None, None), (3, "G1", "3.3")):
                connection.execute(
                    text(
                        "INSERT INTO checkins (id, pair_id, opened_at, goals_moved, "
                        "post_channel_id, post_ts) VALUES (:id, 1, :now, 0, :channel, :ts)"
                    ),
                    {"id": checkin_id, "now": datetime.now(UTC), "channel": channel, "ts": ts},
                )
    finally:
        upgrade_to_head(database.engine)
    with database.engine.connect() as connection:
        moved = connection.execute(
            text("SELECT checkin_id, channel_id, ts FROM checkin_posts ORDER BY checkin_id")
        ).all()
    assert [tuple(row) for row in moved] == [(1, "G1", "1.1"), (3, "G1", "3.3")]
    with database.sessions() as session:
        found = checkins.pair_for_thread(session, channel_id="G1", thread_ts="3.3")
        assert found is not None and found.id == 1
        session.add(CheckInPost(checkin_id=3, channel_id="G1", ts="3.4"))  # a second post
        session.commit()

    # Going back keeps each round's latest post.
    command.downgrade(config, "0001")
    try:
        with database.engine.connect() as connection:
            back = connection.execute(
                text("SELECT id, post_channel_id, post_ts FROM checkins ORDER BY id")
            ).all()
        assert [tuple(row) for row in back] == [(1, "G1", "1.1"), (2, None, None), (3, "G1", "3.4")]
    finally:
        upgrade_to_head(database.engine)


# --- A check-in Slack does not take comes back to its author ---------------------------------


def test_a_check_in_command_slack_refuses_gives_the_words_back(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    words = "Struggling with night shifts"
    fake_slack.fail_next("chat.postMessage", status=503, times=3)
    shown = command_text(slack, "/checkin", words, user=STUDENT)
    assert "may not have been posted" in shown and words in shown
    assert rounds(database) == []


def test_a_post_here_click_slack_refuses_gives_the_words_back_and_works_again(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, space_pair: int
) -> None:
    make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR)
    words = "Presented my poster today"
    response, _ = slack.command("/checkin", words, user=STUDENT)
    value = choice_value(response.json, MENTOR)
    fake_slack.fail_next("chat.postMessage", status=503, times=3)
    url = fake_slack.new_response_url()
    payload = block_action_payload(
        user=STUDENT, action_id="checkin_choose_pair", value=value, response_url=url
    )
    assert slack.interaction(payload).status == 200
    shown = final_answer(fake_slack, url, ("may not have been posted",))
    assert words in shown
    assert rounds(database) == []
    # The same button works again once Slack is back.
    again = fake_slack.new_response_url()
    payload = block_action_payload(
        user=STUDENT, action_id="checkin_choose_pair", value=value, response_url=again
    )
    assert slack.interaction(payload).status == 200
    assert "Posted" in final_answer(fake_slack, again, ("osted",))
    assert len(check_in_posts(fake_slack, words)) == 1
    assert len(rounds(database)) == 1
