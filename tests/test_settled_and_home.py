"""Buttons that are spent say so: a prompt someone acted on shows what happened and by whom,
and a button on an old prompt answers instead of acting twice. Thread etiquette reads as
"noted" and never calls the attending out. The Home tab fits each role: coordinators are not
sent to find a mentor, and every member changes rhythm, pause and end through forms."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.blocks import checkins as checkin_blocks
from bot.blocks import nudges as nudge_blocks
from bot.service import Database
from bot.store.models import CheckIn, Delivery, DeliveryKind, Pair, PairState
from jobs.dispatcher import Dispatcher
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.conftest import NUDGE_MENTEE, NUDGE_MENTOR, NUDGE_SPACE
from tests.slack_requests import SlackSender, block_action_payload, view_submission_payload
from tests.test_journey import assert_database_holds_none_of, button_value, command_text, to
from tests.test_pairs_flow import dm_to

STUDENT, MENTOR, SPACE, COORDINATOR = NUDGE_MENTEE, NUDGE_MENTOR, NUDGE_SPACE, "UCOORD"
FIRST_PROMPT = datetime(2027, 1, 19, 14, 0, tzinfo=UTC)


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def prompts_in_space(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake_slack.messages(SPACE) if "Time to check in" in m["text"]]


def has_buttons(message: dict[str, Any]) -> bool:
    return any(block.get("type") == "actions" for block in message.get("blocks") or [])


def press_on(
    slack: SlackSender, fake_slack: FakeSlack, message: dict[str, Any], *, user: str, action_id: str
) -> str:
    """Press a button on a message in the space, as Slack sends it; returns what the presser
    was told privately."""
    response_url = fake_slack.new_response_url()
    payload = block_action_payload(
        user=user,
        action_id=action_id,
        value=next(
            element["value"]
            for block in message["blocks"]
            for element in block.get("elements", [])
            if element.get("action_id") == action_id
        ),
        response_url=response_url,
        container={"type": "message", "channel_id": SPACE, "message_ts": message["ts"]},
    )
    payload["channel"] = {"id": SPACE}
    payload["message"] = {"ts": message["ts"], "text": message["text"], "blocks": message["blocks"]}
    assert slack.interaction(payload).status == 200
    return str(fake_slack.wait_for_response(response_url)[-1]["text"])


def pair_row(database: Database, pair_id: int) -> Pair:
    with database.sessions() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        session.expunge(pair)
        return pair


@pytest.fixture
def prompted(database: Database, dispatcher: Dispatcher, pair_id: int) -> int:
    assert tick(database.sessions, dispatcher, now=FIRST_PROMPT).dispatch.sent == 1
    return pair_id


@pytest.mark.parametrize(
    ("first", "note", "second"),
    [
        ("checkin_we_met", "We met — marked by <@U0MENTOR>", "checkin_snooze"),
        ("checkin_snooze", "Snoozed a week — marked by <@U0MENTOR>", "checkin_we_met"),
        ("checkin_we_met", "We met — marked by <@U0MENTOR>", "checkin_we_met"),
        ("checkin_snooze", "Snoozed a week — marked by <@U0MENTOR>", "checkin_snooze"),
    ],
)
def test_a_prompt_acted_on_shows_what_happened_and_acts_only_once(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    prompted: int,
    first: str,
    note: str,
    second: str,
) -> None:
    (prompt,) = prompts_in_space(fake_slack)
    press_on(slack, fake_slack, prompt, user=MENTOR, action_id=first)
    (update,) = fake_slack.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (SPACE, prompt["ts"])
    (now_shown,) = prompts_in_space(fake_slack)
    assert not has_buttons(now_shown)
    assert note in dumps(now_shown["blocks"])
    with database.sessions() as session:
        delivery = session.execute(
            select(Delivery).where(Delivery.kind == DeliveryKind.PROMPT)
        ).scalar_one()
        assert delivery.settled_as == ("met" if first == "checkin_we_met" else "snoozed")
    before = pair_row(database, prompted)

    # The student still has the old copy of the message on screen and presses it.
    told = press_on(slack, fake_slack, prompt, user=STUDENT, action_id=second)
    assert "This prompt was already handled" in told and note in told
    after = pair_row(database, prompted)
    assert after.next_prompt_at == before.next_prompt_at
    assert after.last_complete_checkin_at == before.last_complete_checkin_at
    with database.sessions() as session:
        assert len(session.execute(select(CheckIn)).scalars().all()) == (
            1 if first == "checkin_we_met" else 0
        )


def test_a_button_on_a_superseded_prompt_answers_instead_of_acting(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    dispatcher: Dispatcher,
    prompted: int,
) -> None:
    second_prompt = pair_row(database, prompted).next_prompt_at
    assert second_prompt is not None
    assert tick(database.sessions, dispatcher, now=second_prompt).dispatch.sent == 1
    old, _ = prompts_in_space(fake_slack)
    told = press_on(slack, fake_slack, old, user=STUDENT, action_id="checkin_we_met")
    assert "from an earlier round" in told
    with database.sessions() as session:
        assert session.execute(select(CheckIn)).first() is None
    old_now, new_now = prompts_in_space(fake_slack)
    assert not has_buttons(old_now) and has_buttons(new_now)
    assert "A newer prompt came since" in dumps(old_now["blocks"])


def test_we_met_on_the_home_tab_settles_the_open_prompt(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, prompted: int
) -> None:
    payload = block_action_payload(
        user=STUDENT, action_id="checkin_we_met", value=str(prompted), container={"type": "view"}
    )
    assert slack.interaction(payload).status == 200
    fake_slack.wait_for("chat.update")
    (prompt,) = prompts_in_space(fake_slack)
    assert not has_buttons(prompt)
    assert "We met — marked by <@U0STUDENT>" in dumps(prompt["blocks"])


def test_we_met_on_a_check_in_post_takes_its_button_away(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    command_text(slack, "/checkin", "Shadowed twice this week", user=STUDENT)
    (post,) = [m for m in fake_slack.messages(SPACE) if "Check-in from" in m["text"]]
    assert has_buttons(post)
    assert "complete check-in" in press_on(
        slack, fake_slack, post, user=MENTOR, action_id="checkin_we_met"
    )
    fake_slack.wait_for("chat.update")
    (post,) = [m for m in fake_slack.messages(SPACE) if "Check-in from" in m["text"]]
    assert not has_buttons(post) and "We met — marked by <@U0MENTOR>" in dumps(post)


# --- thread etiquette -----------------------------------------------------------------------------


def test_a_recorded_reply_is_acknowledged_as_noted_not_approved(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    command_text(slack, "/checkin", "Can we move it to next Tuesday?", user=STUDENT)
    (post,) = [m for m in fake_slack.messages(SPACE) if "Check-in from" in m["text"]]
    event = {
        "type": "message",
        "channel": SPACE,
        "channel_type": "mpim",
        "user": MENTOR,
        "text": "Let me check my OR schedule",
        "ts": f"{time.time():.6f}",
        "thread_ts": post["ts"],
    }
    assert slack.event(event).status == 200
    (reaction,) = fake_slack.wait_for("reactions.add")
    assert reaction.args["name"] in {"memo", "eyes"}


def test_the_check_in_post_says_what_a_reply_does_for_them() -> None:
    _, blocks = checkin_blocks.checkin_post(
        pair_id=1, mentee=STUDENT, mentor=MENTOR, update=checkin_blocks.Update(mind="Hi")
    )
    shown = dumps(blocks)
    assert "counts your reply" not in shown
    assert "closes this check-in for both of you" in shown


def test_the_follow_up_does_not_call_the_attending_out() -> None:
    text, blocks = nudge_blocks.follow_up(mentee=STUDENT, mentor=MENTOR)
    assert f"<@{STUDENT}>" in text
    assert MENTOR not in text and MENTOR not in dumps(blocks)


# --- the Home tab by role -------------------------------------------------------------------------


def home(slack: SlackSender, fake_slack: FakeSlack, user: str) -> dict[str, Any]:
    def for_user(call: SlackCall) -> bool:
        return call.args["user_id"] == user

    before = len([c for c in fake_slack.calls_to("views.publish") if for_user(c)])
    slack.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"})
    return dict(fake_slack.wait_for("views.publish", for_user, count=before + 1)[-1].args["view"])


def test_a_coordinator_without_pairs_is_not_told_to_find_a_mentor(
    slack: SlackSender, fake_slack: FakeSlack, pair_id: int
) -> None:
    coordinator_home = dumps(home(slack, fake_slack, COORDINATOR))
    assert "Program summary" in coordinator_home
    assert "no mentorship pairs of your own" in coordinator_home  # nor is told to find one
    assert "/mentor request" not in coordinator_home
    stranger_home = dumps(home(slack, fake_slack, "U0NEWSTUDENT"))
    assert "Ask someone to mentor you" in stranger_home


def button_on_home(view: dict[str, Any], action_id: str) -> str:
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} on the Home tab")


def open_home_form(
    slack: SlackSender, fake_slack: FakeSlack, action_id: str, *, user: str = MENTOR
) -> dict[str, Any]:
    value = button_on_home(home(slack, fake_slack, user), action_id)
    before = len(fake_slack.calls_to("views.open"))
    payload = block_action_payload(
        user=user, action_id=action_id, value=value, container={"type": "view"}
    )
    assert slack.interaction(payload).status == 200
    return dict(fake_slack.wait_for("views.open", count=before + 1)[-1].args["view"])


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return dict(next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"])


def submit(
    slack: SlackSender, view: dict[str, Any], values: dict[str, Any], *, user: str = MENTOR
) -> dict[str, Any]:
    payload = view_submission_payload(
        user=user,
        callback_id=view["callback_id"],
        values={block: {"value": value} for block, value in values.items()},
        private_metadata=view["private_metadata"],
    )
    reply = slack.interaction(payload)
    assert reply.status == 200
    return reply.json


def who(user: str) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user}


def test_a_mentor_changes_the_rhythm_with_pickers(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    form = open_home_form(slack, fake_slack, "home_rhythm")
    assert element(form, "who") == {
        "type": "users_select",
        "action_id": "value",
        "initial_user": STUDENT,
    }
    picker = element(form, "at")
    assert picker["type"] == "timepicker" and picker["timezone"] == "America/New_York"
    assert picker["initial_time"] == "09:00"

    too_late = {
        "who": who(STUDENT),
        "every": {"type": "static_select", "selected_option": {"value": "w3"}},
        "weekday": {"type": "static_select", "selected_option": {"value": "3"}},
        "at": {"type": "timepicker", "selected_time": "19:00"},
    }
    refused = submit(slack, form, too_late)
    assert refused["response_action"] == "errors" and "working hours" in refused["errors"]["at"]

    assert (
        submit(slack, form, {**too_late, "at": {"type": "timepicker", "selected_time": "16:00"}})
        == {}
    )
    fake_slack.wait_for("chat.postMessage", dm_to(MENTOR, "every 3 weeks on Thursday at 16:00"))
    fake_slack.wait_for("chat.postMessage", to(SPACE))
    pair = pair_row(database, pair_id)
    assert (pair.cadence_interval, pair.cadence_weekday) == (3, 3)


def test_a_mentor_pauses_with_a_date_picker_and_a_reason_kept_nowhere(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    form = open_home_form(slack, fake_slack, "home_pause")
    assert element(form, "until")["type"] == "datepicker"
    not_paired = submit(
        slack,
        form,
        {"who": who("U0STRANGER"), "until": {"type": "datepicker", "selected_date": "2099-01-01"}},
    )
    assert "not paired" in not_paired["errors"]["who"]
    until = (datetime.now(UTC) + timedelta(weeks=3)).date().isoformat()
    values = {
        "who": who(STUDENT),
        "until": {"type": "datepicker", "selected_date": until},
        "reason": {"type": "plain_text_input", "value": "Night float this block"},
    }
    assert submit(slack, form, values) == {}
    (told,) = fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "paused your Rounds"))
    assert "Night float this block" in told.args["text"]
    assert pair_row(database, pair_id).state is PairState.PAUSED
    assert_database_holds_none_of(database, ["Night float this block"])

    resume = button_on_home(home(slack, fake_slack, MENTOR), "home_resume")
    payload = block_action_payload(
        user=MENTOR, action_id="home_resume", value=resume, container={"type": "view"}
    )
    assert slack.interaction(payload).status == 200
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "resumed"))
    assert pair_row(database, pair_id).state is PairState.ACTIVE


def test_a_mentor_ends_the_pair_through_the_form(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    form = open_home_form(slack, fake_slack, "home_end")
    assert element(form, "who")["initial_user"] == STUDENT
    assert submit(slack, form, {"who": who(STUDENT)}) == {}
    fake_slack.wait_for("chat.postMessage", dm_to(STUDENT, "ended the Rounds mentorship"))
    assert pair_row(database, pair_id).state is PairState.ENDED


def test_accepting_sends_the_mentor_no_note_about_their_own_acceptance(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    command_text(slack, "/mentor", f"request <@{MENTOR}> Hoping to learn", user=STUDENT)
    (request_dm,) = fake_slack.wait_for("chat.postMessage", to(MENTOR))
    response_url = fake_slack.new_response_url()
    accept = block_action_payload(
        user=MENTOR,
        action_id="pair_accept",
        value=button_value(request_dm, "pair_accept"),
        response_url=response_url,
    )
    assert slack.interaction(accept).status == 200
    (told,) = fake_slack.wait_for("chat.postMessage", to(STUDENT))
    assert f"<@{MENTOR}> accepted your mentorship request" in told.args["text"]
    assert "You accepted" in fake_slack.wait_for_response(response_url)[0]["text"]
    to_mentor = [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == MENTOR]
    assert to_mentor == [request_dm]
