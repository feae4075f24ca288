"""Pairs, goals and check-ins beyond the happy path: consent, coordinators, rhythm, pauses,
endings, several mentors, the check-in form, buttons and the Home tab."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.cadence import zone
from bot.service import Database
from bot.store.models import (
    CheckIn,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Goal,
    Pair,
    PairState,
)
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.factories import make_pair
from tests.slack_requests import (
    SlackSender,
    block_action_payload,
    view_submission_payload,
)
from tests.test_journey import button_value, command_text, to

STUDENT, MENTOR, OTHER_MENTOR, COORDINATOR = "U0STUDENT", "U0MENTOR", "U0MENTOR2", "UCOORD"


def press(
    slack: SlackSender, fake_slack: FakeSlack, *, user: str, action_id: str, value: str
) -> dict[str, Any]:
    """Press a button on a message; returns the last thing posted to its response_url."""
    response_url = fake_slack.new_response_url()
    payload = block_action_payload(
        user=user, action_id=action_id, value=value, response_url=response_url
    )
    assert slack.interaction(payload).status == 200
    return fake_slack.wait_for_response(response_url)[-1]


def pair_row(database: Database, pair_id: int) -> Pair:
    with database.sessions() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        session.expunge(pair)
        return pair


def dm_to(user: str, containing: str):  # type: ignore[no-untyped-def]
    return lambda call: call.args.get("channel") == user and containing in str(call.args)


def add_sent_prompt(database: Database, pair_id: int, *, channel: str, ts: str) -> None:
    """A prompt Rounds posted an hour ago, as the dispatcher would have recorded it."""
    with database.sessions.begin() as session:
        session.add(
            Delivery(
                pair_id=pair_id,
                kind=DeliveryKind.PROMPT,
                period="2027-01-05",
                status=DeliveryStatus.SENT,
                due_at=datetime.now(UTC) - timedelta(hours=1),
                finished_at=datetime.now(UTC) - timedelta(hours=1),
                channel_id=channel,
                ts=ts,
                attempts=1,
                in_doubt=False,
            )
        )


def test_a_declined_request_is_told_kindly_and_can_be_asked_again(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    command_text(slack, "/mentor", f"request <@{MENTOR}> hi", user=STUDENT)
    (request_dm,) = fake_slack.wait_for("chat.postMessage", to(MENTOR))
    pair_id = button_value(request_dm, "pair_decline")
    shown = press(slack, fake_slack, user=MENTOR, action_id="pair_decline", value=pair_id)
    assert shown["replace_original"] is True and "declined" in shown["text"]
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "can't take on a mentee"))
    assert pair_row(database, int(pair_id)).state is PairState.DECLINED
    again = command_text(slack, "/mentor", f"request <@{MENTOR}> please?", user=STUDENT)
    assert "Your request went to" in again


def test_only_the_asked_mentor_can_accept(slack: SlackSender, fake_slack: FakeSlack) -> None:
    command_text(slack, "/mentor", f"request <@{MENTOR}> hi", user=STUDENT)
    (request_dm,) = fake_slack.wait_for("chat.postMessage", to(MENTOR))
    value = button_value(request_dm, "pair_accept")
    shown = press(slack, fake_slack, user=STUDENT, action_id="pair_accept", value=value)
    assert "Only the person who was asked" in shown["text"]
    shown = press(slack, fake_slack, user=MENTOR, action_id="pair_accept", value=value)
    assert "accepted" in shown["text"]
    shown = press(slack, fake_slack, user=MENTOR, action_id="pair_accept", value=value)
    assert "already answered" in shown["text"]


def test_a_request_nobody_can_receive_is_withdrawn(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    fake_slack.fail_next("chat.postMessage", error="cannot_dm_bot")
    reply, response_url = slack.command("/mentor", f"request <@{MENTOR}> hi", user=STUDENT)
    assert "Your request went to" in reply.json["text"]
    (follow_up,) = fake_slack.wait_for_response(response_url)
    assert "withdrawn" in follow_up["text"]
    with database.sessions() as session:
        assert session.execute(select(Pair)).first() is None


@pytest.mark.parametrize("how", ["ROUNDS_COORDINATORS", "workspace admin"])
def test_coordinators_pair_people_directly(
    slack: SlackSender, fake_slack: FakeSlack, how: str
) -> None:
    coordinator = COORDINATOR if how == "ROUNDS_COORDINATORS" else "U0ADMIN"
    fake_slack.add_user("U0ADMIN", is_admin=True)
    shown = command_text(slack, "/mentor", f"pair <@{STUDENT}> <@{MENTOR}>", user=coordinator)
    assert "Paired" in shown
    fake_slack.wait_for("chat.postMessage", lambda c: "Welcome" in str(c.args.get("text")))
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "paired you"))
    fake_slack.wait_for("chat.postMessage", dm_to(MENTOR, "paired you"))


def test_a_coordinator_adds_a_coordinator(slack: SlackSender, fake_slack: FakeSlack) -> None:
    shown = command_text(slack, "/mentor", "coordinator add <@U0NEWCOORD>", user=COORDINATOR)
    assert "is now a program coordinator" in shown
    again = command_text(slack, "/mentor", "coordinator add <@U0NEWCOORD>", user=COORDINATOR)
    assert "already a coordinator" in again
    paired = command_text(slack, "/mentor", f"pair <@{STUDENT}> <@{MENTOR}>", user="U0NEWCOORD")
    assert "Paired" in paired


def test_changing_the_rhythm_moves_the_next_nudge(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR, channel="G0SPACE")
    fake_slack.add_channel("G0SPACE", members=[STUDENT, MENTOR])
    shown = command_text(
        slack, "/mentor", f"cadence <@{MENTOR}> every 3 weeks on Thursday at 16:00", user=STUDENT
    )
    assert "every 3 weeks on Thursday at 16:00" in shown
    fake_slack.wait_for("chat.postMessage", to("G0SPACE"))
    pair = pair_row(database, pair_id)
    local = pair.next_prompt_at.astimezone(zone("America/New_York"))
    assert (local.strftime("%A"), local.hour, local.minute) == ("Thursday", 16, 0)
    assert pair.next_prompt_at > datetime.now(UTC)


def test_pause_and_resume_tell_the_other_member(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    assert "No nudges" in command_text(
        slack, "/mentor", f"pause <@{STUDENT}> for 2 weeks", user=MENTOR
    )
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "paused your Rounds check-ins"))
    assert pair_row(database, pair_id).state is PairState.PAUSED
    assert "paused until" in command_text(slack, "/mentor", "list", user=STUDENT)
    assert "back on" in command_text(slack, "/mentor", f"resume <@{MENTOR}>", user=STUDENT)
    fake_slack.wait_for("chat.postMessage", dm_to(MENTOR, "resumed"))
    assert pair_row(database, pair_id).state is PairState.ACTIVE


@pytest.mark.parametrize(
    ("who", "text"),
    [(STUDENT, f"end <@{MENTOR}>"), (COORDINATOR, f"end <@{STUDENT}> <@{MENTOR}>")],
)
def test_ending_asks_first_then_ends_and_plans_the_wrap_up(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, who: str, text: str
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    reply, _ = slack.command("/mentor", text, user=who)
    confirm = button_value(SlackCall("x", reply.json, None, 0.0), "pair_end_confirm")
    assert pair_row(database, pair_id).state is PairState.ACTIVE  # nothing yet
    shown = press(slack, fake_slack, user=who, action_id="pair_end_confirm", value=confirm)
    assert "has ended" in shown["text"]
    fake_slack.wait_for("chat.postMessage", dm_to(MENTOR, "ended the Rounds mentorship"))
    pair = pair_row(database, pair_id)
    assert pair.state is PairState.ENDED and pair.next_prompt_at is None
    with database.sessions() as session:
        wrap_ups = session.execute(select(Delivery).order_by(Delivery.id)).scalars().all()
        assert [(d.kind, d.status) for d in wrap_ups] == [
            (DeliveryKind.WRAP_UP, DeliveryStatus.SCHEDULED),  # to the mentee
            (DeliveryKind.MENTOR_WRAP_UP, DeliveryStatus.SCHEDULED),
        ]
    listed = command_text(slack, "/mentor", "list", user=STUDENT)
    assert "no current pairs" in listed and "Past pairs (1)" in listed


def test_keeping_a_pair_changes_nothing(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    shown = press(slack, fake_slack, user=STUDENT, action_id="pair_end_cancel", value=str(pair_id))
    assert "continues" in shown["text"]
    assert pair_row(database, pair_id).state is PairState.ACTIVE


def test_with_several_mentors_the_student_is_asked_which(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    make_pair(database, mentee=STUDENT, mentor=MENTOR)
    second = make_pair(database, mentee=STUDENT, mentor=OTHER_MENTOR)
    reply, _ = slack.command("/goal", "add Publish a case report by 2099-06-01", user=STUDENT)
    assert "Which one is this goal for?" in reply.json["text"]
    value = next(
        b["accessory"]["value"]
        for b in reply.json["blocks"]
        if f"<@{OTHER_MENTOR}>" in json.dumps(b) and "accessory" in b
    )
    response_url = fake_slack.new_response_url()
    payload = block_action_payload(
        user=STUDENT, action_id="goal_choose_pair", value=value, response_url=response_url
    )
    assert slack.interaction(payload).status == 200
    # "Adding the goal…" first; "Goal 1 added" once it is saved.
    fake_slack.wait_for_response(response_url, count=2)
    with database.sessions() as session:
        goal = session.execute(select(Goal)).scalar_one()
        assert (goal.pair_id, goal.number, goal.text) == (second, 1, "Publish a case report")
    # Goal numbers count within each pair: the first goal with this mentor is goal 1.
    shown = command_text(slack, "/goal", f"add Learn suturing for <@{MENTOR}>", user=STUDENT)
    assert "Goal 1 added" in shown


def test_goals_are_seen_by_the_pair_and_nobody_else(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    make_pair(database, mentee=STUDENT, mentor=MENTOR)
    command_text(slack, "/goal", "add Secret ambition", user=STUDENT)
    assert "Secret ambition" in command_text(slack, "/goal", "list", user=STUDENT)
    assert "Secret ambition" in command_text(slack, "/goal", "list", user=MENTOR)
    assert "Secret ambition" not in command_text(slack, "/goal", "list", user="U0NOSY")
    assert "Secret ambition" not in command_text(slack, "/goal", "list", user=COORDINATOR)
    done = command_text(slack, "/goal", "done 1", user=STUDENT)
    assert "Goal 1 done" in done
    listed = command_text(slack, "/goal", "list", user=STUDENT)
    assert "Done in the last 90 days" in listed
    assert "already done" in command_text(slack, "/goal", "drop 1", user=STUDENT)


def test_the_check_in_form_posts_and_records_a_meeting(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    command_text(slack, "/goal", "add Read two papers", user=STUDENT)
    reply, _ = slack.command("/checkin", "", user=STUDENT)
    assert reply.status == 200
    (opened,) = fake_slack.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "checkin_form"
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    values = {
        "mind": {"value": {"type": "plain_text_input", "value": "Matching worries"}},
        "questions": {"value": {"type": "plain_text_input", "value": None}},
        "challenges": {"value": {"type": "plain_text_input", "value": None}},
        "goals": {"value": {"type": "checkboxes", "selected_options": [{"value": "1"}]}},
        "met": {"value": {"type": "datepicker", "selected_date": yesterday}},
    }
    submission = view_submission_payload(
        user=STUDENT,
        callback_id="checkin_form",
        values=values,
        private_metadata=view["private_metadata"],
    )
    reply = slack.interaction(submission)
    assert reply.status == 200 and reply.body == b""
    (post,) = fake_slack.wait_for("chat.postMessage", lambda c: "Check-in from" in str(c.args))
    assert "Read two papers" in json.dumps(post.args["blocks"])
    # The confirmation comes by DM (a form has no response_url) once the check-in is saved.
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "Posted to your check-in space"))
    with database.sessions() as session:
        checkin = session.execute(select(CheckIn)).scalar_one()
        assert checkin.completed_at is not None and checkin.goals_moved == 1
        assert session.get(Pair, pair_id).last_complete_checkin_at is not None


@pytest.mark.parametrize(
    ("met", "field", "message"),
    [("2999-01-01", "met", "in the future"), (None, "mind", "Write something")],
)
def test_the_check_in_form_explains_what_to_fix(
    slack: SlackSender, database: Database, met: str | None, field: str, message: str
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    values = {"met": {"value": {"type": "datepicker", "selected_date": met}}}
    submission = view_submission_payload(
        user=STUDENT,
        callback_id="checkin_form",
        values=values,
        private_metadata=json.dumps({"pair": pair_id}),
    )
    reply = slack.interaction(submission)
    assert reply.json["response_action"] == "errors"
    assert message in reply.json["errors"][field]


def test_we_met_completes_once_and_snooze_moves_a_week(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    shown = press(slack, fake_slack, user=MENTOR, action_id="checkin_we_met", value=str(pair_id))
    assert "complete check-in" in shown["text"]
    shown = press(slack, fake_slack, user=STUDENT, action_id="checkin_we_met", value=str(pair_id))
    assert "already complete" in shown["text"]
    before = pair_row(database, pair_id).next_prompt_at
    press(slack, fake_slack, user=STUDENT, action_id="checkin_snooze", value=str(pair_id))
    after = pair_row(database, pair_id).next_prompt_at
    assert after - before == timedelta(weeks=1)


def test_replies_in_a_nudge_thread_count_for_both_members(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR, channel="G0SPACE")
    add_sent_prompt(database, pair_id, channel="G0SPACE", ts="1700000000.000100")

    def reply(user: str, text: str) -> None:
        event = {
            "type": "message",
            "channel": "G0SPACE",
            "channel_type": "mpim",
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "thread_ts": "1700000000.000100",
        }
        assert slack.event(event).status == 200

    reply(STUDENT, "Here's what I've been up to")
    fake_slack.wait_for("reactions.add")
    reply("U0SOMEONE", "not a member")
    reply(MENTOR, "Sounds great")
    fake_slack.wait_for("reactions.add", count=2)
    with database.sessions() as session:
        checkin = session.execute(select(CheckIn)).scalar_one()
        assert checkin.completed_at is not None
        gratitude = session.execute(
            select(Delivery).where(Delivery.kind == DeliveryKind.GRATITUDE)
        ).scalar_one()
        assert gratitude.status is DeliveryStatus.SCHEDULED


def test_the_home_tab_shows_coordinators_the_program(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    make_pair(database, mentee=STUDENT, mentor=MENTOR)
    with database.sessions.begin() as session:
        session.execute(select(Pair)).scalar_one().going_cold = True
    slack.event({"type": "app_home_opened", "user": COORDINATOR, "channel": "D0C", "tab": "home"})
    # (Only the coordinator's: a Home refresh left over from an earlier test may land here.)
    (published,) = fake_slack.wait_for("views.publish", lambda c: c.args["user_id"] == COORDINATOR)
    shown = json.dumps(published.args["view"])
    assert "Program summary" in shown and "*Active pairs:* 1" in shown
    assert f"<@{STUDENT}> with <@{MENTOR}>" in shown
    slack.event({"type": "app_home_opened", "user": STUDENT, "channel": "D0S", "tab": "home"})
    (student_view,) = fake_slack.wait_for("views.publish", lambda c: c.args["user_id"] == STUDENT)
    assert "Program summary" not in json.dumps(student_view.args["view"])


@pytest.mark.parametrize("attempt", range(3))
def test_replies_arriving_together_complete_the_check_in(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, attempt: int
) -> None:
    """Slack delivers events in parallel; both replies must land in the same round."""
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR, channel="G0SPACE")
    add_sent_prompt(database, pair_id, channel="G0SPACE", ts="1700000000.000100")
    events = [
        {
            "type": "message",
            "channel": "G0SPACE",
            "channel_type": "mpim",
            "user": user,
            "text": "hi",
            "ts": f"{time.time() + index:.6f}",
            "thread_ts": "1700000000.000100",
        }
        for index, user in enumerate((STUDENT, MENTOR))
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert all(reply.status == 200 for reply in pool.map(slack.event, events))
    fake_slack.wait_for("reactions.add", count=2)
    with database.sessions() as session:
        (checkin,) = session.execute(select(CheckIn)).scalars().all()
        assert checkin.completed_at is not None


def test_capacity_is_set_by_the_mentor_or_a_coordinator(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    assert "up to 1 active mentees" in command_text(
        slack, "/mentor", f"capacity <@{MENTOR}> 1", user=MENTOR
    )
    assert "up to 2 active mentees" in command_text(
        slack, "/mentor", f"capacity <@{MENTOR}> 2", user=COORDINATOR
    )
    refused = command_text(slack, "/mentor", f"capacity <@{MENTOR}> 9", user=STUDENT)
    assert "Only program coordinators" in refused
    assert "1 to 50" in command_text(slack, "/mentor", f"capacity <@{MENTOR}> 0", user=MENTOR)
    make_pair(database, mentee="U0A", mentor=MENTOR)
    make_pair(database, mentee="U0B", mentor=MENTOR)
    shown = command_text(slack, "/mentor", f"request <@{MENTOR}> hi", user=STUDENT)
    assert "their limit" in shown


def test_a_coordinator_of_another_workspace_cannot_end_a_pair(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR)
    response_url = fake_slack.new_response_url()
    payload = block_action_payload(
        user=COORDINATOR,
        action_id="pair_end_confirm",
        value=str(pair_id),
        response_url=response_url,
    )
    payload["team"] = {"id": "T0OTHER", "domain": "elsewhere"}
    payload["user"]["team_id"] = "T0OTHER"
    assert slack.interaction(payload).status == 200
    (answer,) = fake_slack.wait_for_response(response_url)
    assert "out of date" in answer["text"]
    assert pair_row(database, pair_id).state is PairState.ACTIVE
