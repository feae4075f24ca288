"""The whole relationship, as a new pair lives it — through Slack-signed requests and ticks
against the fake Slack: the kick-off, prompts that ask for feedback, thanks at the end,
keeping in touch, the mentor directory and the mentoring record."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.cadence import add_months, zone
from bot.service import Database
from bot.store.models import Delivery, DeliveryKind, DeliveryStatus, Pair, PairState
from jobs.dispatcher import Dispatcher
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack
from tests.schools import eventually
from tests.slack_requests import SlackSender, block_action_payload, view_submission_payload
from tests.test_journey import (
    MENTOR,
    STUDENT,
    assert_database_holds_none_of,
    command_text,
)
from tests.test_pairs_flow import COORDINATOR, OTHER_MENTOR, press
from tests.test_program import confirm, dry_run

THANKS_NOTE = "You showed me how to present a case without panicking"


# --- helpers ----------------------------------------------------------------------------------


def the_pair(database: Database, *, mentee: str = STUDENT, mentor: str = MENTOR) -> Pair:
    with database.sessions() as session:
        for pair in session.execute(select(Pair).order_by(Pair.id.desc())).scalars():
            if (pair.mentee.slack_user_id, pair.mentor.slack_user_id) == (mentee, mentor):
                session.expunge_all()
                return pair
    raise AssertionError(f"no pair of {mentee} and {mentor}")


def deliveries_of(database: Database, kind: DeliveryKind) -> list[Delivery]:
    with database.sessions() as session:
        query = select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)
        return list(session.execute(query).scalars())


def posts(fake_slack: FakeSlack, channel: str, starting: str) -> list[dict[str, Any]]:
    """Rounds' top-level posts in a conversation (a user ID: the DM) whose text starts so."""
    return [
        message
        for message in fake_slack.messages(channel)
        if message["thread_ts"] is None and message["text"].startswith(starting)
    ]


def said(slack: SlackSender, command: str, text: str, *, user: str) -> str:
    """What the user reads: the answer's text and every text in its blocks, one per line."""
    answer = json.loads(command_text(slack, command, text, user=user))
    texts = [answer.get("text") or ""]
    for block in answer.get("blocks") or []:
        texts.append((block.get("text") or {}).get("text", ""))
        texts.extend(element.get("text", "") for element in block.get("elements", []))
    return "\n".join(texts)


def button_in(message: dict[str, Any], action_id: str) -> str:
    for block in message["blocks"] or []:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {message['text']!r}")


def has_button(message: dict[str, Any], action_id: str) -> bool:
    try:
        button_in(message, action_id)
    except AssertionError:
        return False
    return True


def complete_a_check_in(slack: SlackSender, fake_slack: FakeSlack, space: str, mentee: str) -> None:
    """The mentee posts an update, the mentor answers in its thread."""
    assert "Posted to your check-in space" in command_text(
        slack, "/checkin", "Rounds on the wards went well", user=mentee
    )
    posted = fake_slack.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == space and "Check-in from" in c.args["text"],
    )
    post_ts = next(
        m["ts"] for m in fake_slack.messages(space) if m["text"].startswith("Check-in from")
    )
    reactions = len(fake_slack.calls_to("reactions.add"))
    reply = {
        "type": "message",
        "channel": space,
        "channel_type": "mpim",
        "user": MENTOR,
        "text": "Proud of you",
        "ts": f"{time.time():.6f}",
        "thread_ts": post_ts,
    }
    assert posted and slack.event(reply).status == 200
    fake_slack.wait_for("reactions.add", count=reactions + 1)


def end_pair(slack: SlackSender, fake_slack: FakeSlack, *, by: str, other: str) -> dict[str, Any]:
    reply, _ = slack.command("/mentor", f"end <@{other}>", user=by)
    confirm = next(
        element["value"]
        for block in reply.json["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == "pair_end_confirm"
    )
    return press(slack, fake_slack, user=by, action_id="pair_end_confirm", value=confirm)


def run_until_sent(database: Database, dispatcher: Dispatcher, kind: DeliveryKind) -> None:
    """Tick at the moment each scheduled delivery of `kind` is due."""
    for delivery in deliveries_of(database, kind):
        if delivery.status is DeliveryStatus.SCHEDULED:
            tick(database.sessions, dispatcher, now=max(delivery.due_at, datetime.now(UTC)))
    assert all(d.status is DeliveryStatus.SENT for d in deliveries_of(database, kind))


@pytest.fixture
def new_pair(slack: SlackSender, fake_slack: FakeSlack) -> str:
    """The student asks, the mentor accepts; returns the check-in space's channel ID."""
    fake_slack.add_user(STUDENT, tz="America/New_York")
    fake_slack.add_user(MENTOR, tz="America/Chicago")
    assert "Your request went to" in command_text(
        slack, "/mentor", f"request <@{MENTOR}> Could you mentor me?", user=STUDENT
    )
    (asked,) = fake_slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == MENTOR)
    accept = next(
        element["value"]
        for block in asked.args["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == "pair_accept"
    )
    press(slack, fake_slack, user=MENTOR, action_id="pair_accept", value=accept)
    (welcome,) = fake_slack.wait_for(
        "chat.postMessage", lambda c: c.args["text"].startswith(":handshake: Welcome")
    )
    return str(welcome.args["channel"])


# --- the beginning ----------------------------------------------------------------------------


def test_a_new_pair_gets_its_kick_off_in_the_first_week_and_feedback_within_three_prompts(
    database: Database,
    dispatcher: Dispatcher,
    slack: SlackSender,
    fake_slack: FakeSlack,
    new_pair: str,
) -> None:
    space = new_pair
    pair = the_pair(database)
    assert pair.activated_at is not None
    first_week = pair.activated_at + timedelta(days=7)
    hour = pair.activated_at.replace(minute=0, second=0, microsecond=0)
    while not posts(fake_slack, space, ":checkered_flag:") and hour < first_week:
        hour += timedelta(hours=1)
        tick(database.sessions, dispatcher, now=hour)
        # Nothing else is due in the first week: the kick-off is the pair's first prompt.
        assert not posts(fake_slack, space, ":wave: Time to check in")
    (kick_off,) = posts(fake_slack, space, ":checkered_flag:")
    assert hour < first_week
    local = hour.astimezone(zone("America/New_York"))
    assert local.weekday() < 5 and 9 <= local.hour <= 17  # the pair's time, on a weekday
    shown = json.dumps(kick_off["blocks"])
    for agreement in ("How often you'll meet", "How to reach each other", "hopes for"):
        assert agreement in shown
    assert button_in(kick_off, "home_add_goal") == str(pair.id)

    prompts = [kick_off["text"]]
    for _ in range(2):
        due = the_pair(database).next_prompt_at
        assert due is not None
        tick(database.sessions, dispatcher, now=due)
        prompts.append(posts(fake_slack, space, ":wave: Time to check in")[-1]["text"])
    assert len(prompts) == 3
    assert any("honest feedback" in text for text in prompts)


def test_replying_to_the_kick_off_is_the_first_check_in(
    database: Database,
    dispatcher: Dispatcher,
    slack: SlackSender,
    fake_slack: FakeSlack,
    new_pair: str,
) -> None:
    space = new_pair
    kick_off_at = the_pair(database).kick_off_at
    assert kick_off_at is not None
    tick(database.sessions, dispatcher, now=kick_off_at)
    (kick_off,) = posts(fake_slack, space, ":checkered_flag:")
    for user, text in ((STUDENT, "I'd like help with research"), (MENTOR, "Let's meet Friday")):
        event = {
            "type": "message",
            "channel": space,
            "channel_type": "mpim",
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "thread_ts": kick_off["ts"],
        }
        assert slack.event(event).status == 200
    fake_slack.wait_for("reactions.add", count=2)
    assert the_pair(database).last_complete_checkin_at is not None


def test_an_imported_pair_gets_its_kick_off_after_its_welcome(
    database: Database, dispatcher: Dispatcher, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0IMPORTED", email="ana@med.example")
    fake_slack.add_user("U0IMPORTER", email="dr.q@med.example")
    shown = dry_run(slack, fake_slack, b"mentee,mentor\nana@med.example,dr.q@med.example\n")
    assert "Imported *1 pair*" in confirm(slack, fake_slack, shown)
    pair = the_pair(database, mentee="U0IMPORTED", mentor="U0IMPORTER")
    assert pair.activated_at is not None and pair.kick_off_at is not None
    (welcome,) = deliveries_of(database, DeliveryKind.WELCOME)
    tick(database.sessions, dispatcher, now=welcome.due_at)
    tick(database.sessions, dispatcher, now=pair.kick_off_at)
    space = the_pair(database, mentee="U0IMPORTED", mentor="U0IMPORTER").checkin_channel_id
    assert space is not None
    titles = [m["text"].split()[0] for m in fake_slack.messages(space)]
    assert titles == [":handshake:", ":checkered_flag:"]  # the welcome, then the kick-off
    assert pair.kick_off_at - pair.activated_at < timedelta(days=7)


# --- the end, and after -----------------------------------------------------------------------


def test_thanks_from_the_wrap_up_and_keeping_in_touch_bring_a_catch_up_six_months_on(
    database: Database,
    dispatcher: Dispatcher,
    slack: SlackSender,
    fake_slack: FakeSlack,
    new_pair: str,
) -> None:
    space = new_pair
    complete_a_check_in(slack, fake_slack, space, STUDENT)
    assert "has ended" in end_pair(slack, fake_slack, by=STUDENT, other=MENTOR)["text"]
    pair = the_pair(database)
    assert pair.state is PairState.ENDED

    run_until_sent(database, dispatcher, DeliveryKind.WRAP_UP)
    run_until_sent(database, dispatcher, DeliveryKind.MENTOR_WRAP_UP)
    (mentee_wrap_up,) = posts(fake_slack, STUDENT, ":mortar_board:")
    (mentor_wrap_up,) = posts(fake_slack, MENTOR, ":mortar_board:")
    assert "Pay it forward" in json.dumps(mentee_wrap_up["blocks"])
    assert "/mentor offer" in json.dumps(mentee_wrap_up["blocks"])
    summary = json.dumps(mentor_wrap_up["blocks"])
    assert "*1 check-in* completed" in summary and "*0 thank-you notes* received" in summary
    assert "Thank you for mentoring" in mentor_wrap_up["text"]
    assert not has_button(mentor_wrap_up, "gratitude_send_thanks")

    # "Send thanks" on the wrap-up opens the gratitude reminder's form; the note reaches the
    # mentor and only the count stays.
    opened_before = len(fake_slack.calls_to("views.open"))
    press_thanks = block_action_payload(
        user=STUDENT,
        action_id="gratitude_send_thanks",
        value=button_in(mentee_wrap_up, "gratitude_send_thanks"),
    )
    assert slack.interaction(press_thanks).status == 200
    modal = fake_slack.wait_for("views.open", count=opened_before + 1)[-1].args["view"]
    assert modal["callback_id"] == "thanks_form"
    submitted = view_submission_payload(
        user=STUDENT,
        callback_id="thanks_form",
        values={"note": {"value": {"type": "plain_text_input", "value": THANKS_NOTE}}},
        private_metadata=modal["private_metadata"],
    )
    assert slack.interaction(submitted).status == 200
    (note,) = fake_slack.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == MENTOR and THANKS_NOTE in str(c.args)
    )
    assert "sent you a thank-you note" in note.args["text"]
    fake_slack.wait_for("chat.postMessage", lambda c: "Your thanks went to" in c.args["text"])
    assert the_pair(database).thanks_sent == 1

    # One "Keep in touch" is not enough; the other hears that they were asked.
    shown = press(
        slack,
        fake_slack,
        user=MENTOR,
        action_id="ending_keep_in_touch",
        value=button_in(mentor_wrap_up, "ending_keep_in_touch"),
    )
    assert "once <@U0STUDENT> says yes too" in json.dumps(shown["blocks"])
    assert the_pair(database).state is PairState.ENDED
    fake_slack.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == STUDENT and "would like to keep in touch" in c.args["text"],
    )
    pressed_at = datetime.now(UTC)
    shown = press(
        slack,
        fake_slack,
        user=STUDENT,
        action_id="ending_keep_in_touch",
        value=button_in(mentee_wrap_up, "ending_keep_in_touch"),
    )
    assert "are keeping in touch" in json.dumps(shown["blocks"])
    assert has_button({"blocks": shown["blocks"], "text": ""}, "gratitude_send_thanks")
    fake_slack.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == space and "keeping in touch" in c.args["text"],
    )
    pair = the_pair(database)
    assert pair.state is PairState.ALUMNI
    catch_up_at = pair.next_prompt_at
    assert catch_up_at is not None
    six_months = add_months(pressed_at.astimezone(zone("America/New_York")).date(), 6)
    assert 0 <= (catch_up_at.astimezone(zone("America/New_York")).date() - six_months).days <= 2
    assert "Past pairs (1)" in command_text(slack, "/mentor", "list", user=MENTOR)

    # Not before six months...
    for when in (pressed_at + timedelta(days=31), pressed_at + timedelta(days=120)):
        tick(database.sessions, dispatcher, now=when)
    tick(database.sessions, dispatcher, now=catch_up_at - timedelta(minutes=1))
    assert deliveries_of(database, DeliveryKind.CATCH_UP) == []
    assert not posts(fake_slack, space, ":coffee:")
    # ...and then, in the check-in space.
    tick(database.sessions, dispatcher, now=catch_up_at)
    (catch_up,) = posts(fake_slack, space, ":coffee:")
    assert "how are things" in catch_up["text"]
    next_catch_up = the_pair(database).next_prompt_at
    assert next_catch_up is not None and next_catch_up - catch_up_at > timedelta(days=170)

    # Either of them can stop it; then nothing more comes.
    reply, _ = slack.command("/mentor", f"end <@{STUDENT}>", user=MENTOR)
    assert "Stop the catch-ups" in reply.json["text"]
    shown = end_pair(slack, fake_slack, by=MENTOR, other=STUDENT)
    assert "catch-ups have stopped" in shown["text"]
    fake_slack.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == STUDENT and "stopped the Rounds catch-ups" in c.args["text"],
    )
    assert the_pair(database).state is PairState.ENDED
    tick(database.sessions, dispatcher, now=next_catch_up)
    assert len(posts(fake_slack, space, ":coffee:")) == 1
    again = press(
        slack,
        fake_slack,
        user=STUDENT,
        action_id="ending_keep_in_touch",
        value=button_in(mentee_wrap_up, "ending_keep_in_touch"),
    )
    assert "stopped the catch-ups" in again["text"]
    assert_database_holds_none_of(database, [THANKS_NOTE, "Proud of you"])


# --- the directory ----------------------------------------------------------------------------


def test_find_lists_mentors_with_open_seats_whose_topics_match_and_request_starts_consent(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    offered = command_text(slack, "/mentor", "offer surgery research Match advice", user=MENTOR)
    assert "You're in the mentor directory" in offered and "surgery research" in offered
    command_text(slack, "/mentor", "offer pediatrics", user=OTHER_MENTOR)

    found = command_text(slack, "/mentor", "find surgery", user=STUDENT)
    assert f"<@{MENTOR}>" in found and f"<@{OTHER_MENTOR}>" not in found
    assert "surgery research Match advice" in found
    everyone = command_text(slack, "/mentor", "find", user=STUDENT)
    assert f"<@{MENTOR}>" in everyone and f"<@{OTHER_MENTOR}>" in everyone
    assert "No mentor with an open seat matches" in command_text(
        slack, "/mentor", "find dermatology", user=STUDENT
    )

    response_url = fake_slack.new_response_url()
    request = block_action_payload(
        user=STUDENT, action_id="directory_request", value=MENTOR, response_url=response_url
    )
    assert slack.interaction(request).status == 200
    assert "Your request went to" in fake_slack.wait_for_response(response_url)[-1]["text"]
    (asked,) = fake_slack.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == MENTOR and "Accept" in str(c.args)
    )
    assert "would like you to be their mentor" in asked.args["text"]
    assert the_pair(database).state is PairState.PENDING
    # Already asked: the mentor no longer shows for this student; still for others.
    assert f"<@{MENTOR}>" not in command_text(slack, "/mentor", "find surgery", user=STUDENT)
    assert f"<@{MENTOR}>" in command_text(slack, "/mentor", "find surg", user="U0STUDENT2")

    # A full mentor is not offered; one who left the directory neither.
    assert "up to 1" in command_text(
        slack, "/mentor", f"capacity <@{OTHER_MENTOR}> 1", user=OTHER_MENTOR
    )
    command_text(slack, "/mentor", f"pair <@U0STUDENT3> <@{OTHER_MENTOR}>", user=COORDINATOR)
    assert f"<@{OTHER_MENTOR}>" not in command_text(slack, "/mentor", "find", user="U0STUDENT2")
    assert "left the mentor directory" in command_text(slack, "/mentor", "offer off", user=MENTOR)
    assert "No mentor with an open seat" in command_text(
        slack, "/mentor", "find surgery", user="U0STUDENT2"
    )

    # Coordinators see the whole pool, full mentors included, on their Home tab.
    slack.event({"type": "app_home_opened", "user": COORDINATOR, "channel": "D0C", "tab": "home"})
    home = fake_slack.wait_for("views.publish", lambda c: c.args["user_id"] == COORDINATOR)
    shown = json.dumps(home[-1].args["view"])
    assert "Mentor directory:* 1 mentor, 0 open seats" in shown and "pediatrics" in shown


# --- the record -------------------------------------------------------------------------------


def test_record_lists_an_ended_and_an_active_mentee_with_a_csv_in_the_dm(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    for user in (STUDENT, "U0STUDENT2", MENTOR):
        fake_slack.add_user(user, tz="America/New_York", name=f"Dr {user[-4:]}")
    command_text(slack, "/mentor", f"pair <@{STUDENT}> <@{MENTOR}>", user=COORDINATOR)
    command_text(slack, "/mentor", f"pair <@U0STUDENT2> <@{MENTOR}>", user=COORDINATOR)
    # The space is opened after the ack: wait for it rather than read it too early.
    eventually(lambda: the_pair(database).checkin_channel_id is not None, within=10.0)
    space = the_pair(database).checkin_channel_id
    assert space is not None
    complete_a_check_in(slack, fake_slack, space, STUDENT)
    thanks = view_submission_payload(
        user=STUDENT,
        callback_id="thanks_form",
        values={"note": {"value": {"type": "plain_text_input", "value": THANKS_NOTE}}},
        private_metadata=json.dumps({"pair": the_pair(database).id}),
    )
    assert slack.interaction(thanks).status == 200
    fake_slack.wait_for("chat.postMessage", lambda c: THANKS_NOTE in str(c.args))
    end_pair(slack, fake_slack, by=MENTOR, other=STUDENT)

    shown = said(slack, "/mentor", "record", user=MENTOR)
    assert "2 mentees (1 current)" in shown
    ended_line = next(line for line in shown.splitlines() if f"<@{STUDENT}>" in line)
    current_line = next(line for line in shown.splitlines() if "<@U0STUDENT2>" in line)
    assert "1 check-in · 1 thank-you note · ended" in ended_line
    assert "to now" in current_line and "0 check-ins" in current_line and "current" in current_line

    fake_slack.wait_for("files.completeUploadExternal")
    (shared,) = fake_slack.uploaded_files(MENTOR)
    assert shared["name"].startswith("rounds-mentoring-record-")
    rows = list(csv.DictReader(io.StringIO(shared["content"].decode())))
    assert [(row["mentee_slack_id"], row["state"]) for row in rows] == [
        (STUDENT, "ended"),
        ("U0STUDENT2", "active"),
    ]
    assert [row["mentee"] for row in rows] == ["Dr DENT", "Dr ENT2"]
    assert (rows[0]["checkins_completed"], rows[0]["thanks_received"]) == ("1", "1")
    assert rows[0]["ended"] and not rows[1]["ended"]
    assert THANKS_NOTE not in shared["content"].decode()

    refused = command_text(slack, "/mentor", "record", user=STUDENT)
    assert "no mentees in Rounds yet" in refused
