"""The patient-information guard: measured on labelled sentences, and asked wherever people
type — slash commands (Edit / Post anyway, nothing kept server-side) and forms (the form
comes back asking) — with nothing flagged ever posted unconfirmed, stored or logged."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.phi import FALSE_ALARM_TARGET, RECALL_TARGET, load_sentences, measure_phi
from bot.blocks.guard import CONFIRM_BLOCK, EDIT, MAX_BUTTON_VALUE, POST_ANYWAY
from bot.domain import phi_guard
from bot.service import Database
from bot.store.models import CheckIn, Goal, Pair
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.slack_requests import SlackSender, block_action_payload, view_submission_payload
from tests.test_journey import assert_database_holds_none_of

STUDENT, MENTOR, SPACE = "U0STUDENT", "U0MENTOR", "G0SPACE"
PHI_UPDATE = "Pt Morales in room 214 asked me about advance directives"


# --- the detector, measured -------------------------------------------------------------------


def test_the_labelled_set_is_big_enough_and_balanced() -> None:
    labelled = load_sentences()
    with_identifiers = sum(1 for has, _ in labelled if has)
    assert len(labelled) >= 200
    assert with_identifiers == len(labelled) - with_identifiers
    assert len({sentence for _, sentence in labelled}) == len(labelled), "duplicates"


def test_recall_and_false_alarms_meet_their_targets() -> None:
    row = measure_phi()
    assert row.recall >= RECALL_TARGET, f"recall {row.recall:.3f}"
    assert row.false_alarm_rate <= FALSE_ALARM_TARGET, f"false alarms {row.false_alarm_rate:.3f}"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Can we look at MRN 00482913 together?", phi_guard.MRN),
        ("her chart number is 5501239", phi_guard.MRN),
        ("DOB 04/11/1958, chest pain", phi_guard.DOB),
        ("She was born March 3, 1950.", phi_guard.DOB),
        ("Call her daughter at (617) 555-0142", phi_guard.PHONE),
        ("The son in London: +44 20 7946 0958", phi_guard.PHONE),
        ("My patient Mr. Alvarez went home", phi_guard.NAME),
        ("pt J.M. was febrile", phi_guard.NAME),
        ("Mrs. Ortiz, my patient on 5 West, is better", phi_guard.NAME),
        ("The man in room 412 is waiting", phi_guard.ROOM),
        ("bed 14 coded overnight", phi_guard.ROOM),
        ("A 94-year-old taught me about goals of care", phi_guard.AGE),
    ],
)
def test_each_kind_of_identifier_is_named(text: str, kind: str) -> None:
    assert kind in phi_guard.kinds(phi_guard.scan(text))


@pytest.mark.parametrize(
    "text",
    [
        "Step 1 is on 2027-03-01 and my NBME went from 218 to 236",
        "BP 140/90, HR 110, K 3.1 — should I have called?",
        "Patient care on the wards is so different from lectures",
        "Our small group meets in room 204 of the education building",
        "There is a lot of room for improvement in my presentations",
        "Can we meet Thursday at 4:30 or 7:30 pm?",
        "Dr. Patel suggested I aim for 3 publications",
        "The pt I admitted last night is better",
    ],
)
def test_everyday_sentences_pass(text: str) -> None:
    assert phi_guard.scan(text) == []


def test_describing_what_was_found() -> None:
    found = phi_guard.scan("Pt Kim, bed 19, DOB 1/5/1950")
    assert phi_guard.describe(found) == "a patient's name, a room or bed number and a date of birth"


# --- slash commands: Edit / Post anyway -------------------------------------------------------


@pytest.fixture
def pair_id(database: Database, fake_slack: FakeSlack) -> int:
    fake_slack.add_channel(SPACE, members=[STUDENT, MENTOR])
    return make_pair(database, mentee=STUDENT, mentor=MENTOR, channel=SPACE)


def warning_of(slack: SlackSender, command: str, text: str) -> dict[str, Any]:
    reply, _ = slack.command(command, text, user=STUDENT)
    assert reply.status == 200
    return reply.json


def button(answer: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in answer.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button in {answer}")


def press(slack: SlackSender, fake_slack: FakeSlack, action_id: str, value: str) -> str:
    response_url = fake_slack.new_response_url()
    payload = block_action_payload(
        user=STUDENT,
        action_id=action_id,
        value=value,
        response_url=response_url,
        container={"type": "message", "is_ephemeral": True},
    )
    assert slack.interaction(payload).status == 200
    return response_url


def posts_to_space(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return fake_slack.messages(SPACE)


@pytest.mark.parametrize(
    ("command", "text", "verb"),
    [
        ("/checkin", PHI_UPDATE, "Post anyway"),
        ("/goal", "add Present patient Alvarez at morning report", "Add anyway"),
        ("/mentor", f"request <@{MENTOR}> I saw bed 14 code and want to talk", "Send anyway"),
    ],
)
def test_typed_identifiers_are_questioned_privately_and_nothing_is_posted_or_stored(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    pair_id: int,
    command: str,
    text: str,
    verb: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if command == "/mentor":  # a new request: to another mentor
        text = text.replace(MENTOR, "U0MENTOR2")
    caplog.set_level(logging.DEBUG)
    answer = warning_of(slack, command, text)
    assert answer["response_type"] == "ephemeral"
    assert "This may contain patient information" in answer["text"]
    assert button(answer, EDIT)["text"]["text"] == "Edit"
    assert button(answer, POST_ANYWAY)["text"]["text"] == verb
    assert posts_to_space(fake_slack) == []
    assert fake_slack.messages("U0MENTOR2") == []
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Goal)) == 0
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 0
        assert session.scalar(select(func.count()).select_from(Pair)) == 1
    words = text.split(">", 1)[-1].strip() if command == "/mentor" else text.split(" ", 1)[-1]
    assert not any(words in record.getMessage() for record in caplog.records)
    assert not any("room" in record.getMessage() for record in caplog.records)


def test_post_anyway_posts_the_update_as_written(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    answer = warning_of(slack, "/checkin", PHI_UPDATE)
    response_url = press(slack, fake_slack, POST_ANYWAY, button(answer, POST_ANYWAY)["value"])
    posted = fake_slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == SPACE)
    assert PHI_UPDATE in json.dumps(posted[0].args["blocks"])
    shown = fake_slack.wait_for_response(response_url, count=2)
    assert shown[0]["replace_original"] is True  # the warning gives way
    assert "Posted to your check-in space" in shown[1]["text"]
    assert_database_holds_none_of(database, [PHI_UPDATE, "Morales"])


def test_add_anyway_stores_the_goal_the_person_confirmed(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    answer = warning_of(slack, "/goal", "add Present patient Alvarez by 2099-03-01")
    response_url = press(slack, fake_slack, POST_ANYWAY, button(answer, POST_ANYWAY)["value"])
    assert "Goal 1 added" in fake_slack.wait_for_response(response_url, count=2)[1]["text"]
    with database.sessions() as session:
        (goal,) = session.execute(select(Goal)).scalars()
        assert goal.text == "Present patient Alvarez"


def test_send_anyway_delivers_the_request_note(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    note = "I froze when bed 14 coded and want to talk about it"
    answer = warning_of(slack, "/mentor", f"request <@U0MENTOR2> {note}")
    press(slack, fake_slack, POST_ANYWAY, button(answer, POST_ANYWAY)["value"])
    (dm,) = fake_slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == "U0MENTOR2")
    assert note in json.dumps(dm.args["blocks"])


def test_edit_opens_the_check_in_form_with_the_words_in_it(
    slack: SlackSender, fake_slack: FakeSlack, pair_id: int
) -> None:
    answer = warning_of(slack, "/checkin", PHI_UPDATE)
    response_url = press(slack, fake_slack, EDIT, button(answer, EDIT)["value"])
    (opened,) = fake_slack.wait_for("views.open")
    mind = next(b for b in opened.args["view"]["blocks"] if b.get("block_id") == "mind")
    assert mind["element"]["initial_value"] == PHI_UPDATE
    assert "Opening the check-in form" in fake_slack.wait_for_response(response_url)[0]["text"]
    assert posts_to_space(fake_slack) == []


def test_edit_of_a_goal_gives_the_words_back(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, pair_id: int
) -> None:
    answer = warning_of(slack, "/goal", "add Follow up on bed 12's biopsy")
    response_url = press(slack, fake_slack, EDIT, button(answer, EDIT)["value"])
    (shown,) = fake_slack.wait_for_response(response_url)
    assert shown["replace_original"] is True and "nothing was posted" in shown["text"]
    assert "Follow up on bed 12's biopsy" in json.dumps(shown["blocks"])


def test_words_too_long_for_a_button_come_back_instead_of_being_lost(
    slack: SlackSender, pair_id: int
) -> None:
    long_update = "Rounds were long today. " * 90 + "The man in room 412 is still waiting."
    assert len(long_update) > MAX_BUTTON_VALUE
    answer = warning_of(slack, "/checkin", long_update)
    shown = json.dumps(answer["blocks"])
    assert "too long to carry on a button" in shown and POST_ANYWAY not in shown
    assert "room 412 is still waiting" in shown


@pytest.mark.parametrize("value", ["", "{}", json.dumps({"k": "nope", "t": "x"}), "[1]"])
def test_forged_guard_buttons_are_refused(
    slack: SlackSender, fake_slack: FakeSlack, pair_id: int, value: str
) -> None:
    for action_id in (POST_ANYWAY, EDIT):
        (answer,) = fake_slack.wait_for_response(press(slack, fake_slack, action_id, value))
        assert answer["text"].startswith(":warning:") and "out of date" in answer["text"]
    assert posts_to_space(fake_slack) == []


# --- forms: the form comes back asking ----------------------------------------------------------


def submit(
    slack: SlackSender,
    view: dict[str, Any],
    values: dict[str, Any],
    *,
    ticked: bool = False,
) -> dict[str, Any]:
    if ticked:
        values = {
            **values,
            CONFIRM_BLOCK: {
                "value": {"type": "checkboxes", "selected_options": [{"value": "post_anyway"}]}
            },
        }
    payload = view_submission_payload(
        user=STUDENT,
        callback_id=view["callback_id"],
        values=values,
        private_metadata=view["private_metadata"],
    )
    payload["view"]["blocks"] = view["blocks"]
    payload["view"]["title"] = view["title"]
    reply = slack.interaction(payload)
    assert reply.status == 200
    return reply.json


def text_value(text: str | None) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": text}}


FORMS = [
    # (how to open it, the field, flagged text)
    ("checkin", "mind", "Patient Garcia's family asked me for an update"),
    ("goal", "text", "Present patient Okafor at grand rounds"),
    ("thanks", "note", "Thank you for helping me with the family in room 502!"),
]


def open_form(slack: SlackSender, fake_slack: FakeSlack, pair_id: int, which: str) -> dict:
    if which == "checkin":
        slack.command("/checkin", "", user=STUDENT)
    else:
        action_id = {"goal": "home_add_goal", "thanks": "gratitude_send_thanks"}[which]
        payload = block_action_payload(user=STUDENT, action_id=action_id, value=str(pair_id))
        assert slack.interaction(payload).status == 200
    (opened,) = fake_slack.wait_for("views.open")
    return dict(opened.args["view"])


@pytest.mark.parametrize(("which", "field", "text"), FORMS)
def test_a_form_with_identifiers_comes_back_asking_and_posts_once_confirmed(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    pair_id: int,
    which: str,
    field: str,
    text: str,
) -> None:
    view = open_form(slack, fake_slack, pair_id, which)
    values = {field: text_value(text)}
    asked = submit(slack, view, values)
    assert asked["response_action"] == "update"
    again = asked["view"]
    assert "This may contain patient information" in json.dumps(again["blocks"][0])
    typed = next(b for b in again["blocks"] if b.get("block_id") == field)
    assert typed["element"]["initial_value"] == text  # nothing the person typed is lost
    assert any(b.get("block_id") == CONFIRM_BLOCK for b in again["blocks"])
    assert "id" not in again and "state" not in again  # only what an app may send
    assert posts_to_space(fake_slack) == [] and fake_slack.messages(MENTOR) == []

    # Submitted again as it is, with "Post anyway" ticked: it goes through.
    done = submit(slack, again, values, ticked=True)
    assert done == {}
    if which == "thanks":
        (dm,) = fake_slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == MENTOR)
        assert text in json.dumps(dm.args["blocks"])
    elif which == "checkin":
        (post,) = fake_slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == SPACE)
        assert text in json.dumps(post.args["blocks"])
    else:
        fake_slack.wait_for("chat.postMessage", lambda c: "Goal 1 added" in str(c.args))
        with database.sessions() as session:
            assert session.execute(select(Goal.text)).scalar_one() == text


def test_a_form_edited_clean_goes_through_without_ticking(
    slack: SlackSender, fake_slack: FakeSlack, pair_id: int
) -> None:
    view = open_form(slack, fake_slack, pair_id, "checkin")
    asked = submit(slack, view, {"mind": text_value("Pt Kim in bed 19 asked for a chaplain")})
    done = submit(slack, asked["view"], {"mind": text_value("A patient asked for a chaplain")})
    assert done == {}
    fake_slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == SPACE)


def test_a_form_without_its_blocks_is_asked_about_on_the_field(
    slack: SlackSender, fake_slack: FakeSlack, pair_id: int
) -> None:
    view = open_form(slack, fake_slack, pair_id, "checkin")
    payload = view_submission_payload(
        user=STUDENT,
        callback_id="checkin_form",
        values={"mind": text_value("MRN 00482913 again")},
        private_metadata=view["private_metadata"],
    )
    reply = slack.interaction(payload).json
    assert reply["response_action"] == "errors"
    assert "patient information" in reply["errors"]["mind"]
