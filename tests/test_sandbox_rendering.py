"""The sandbox's drawing of Slack: mrkdwn as safe HTML, Block Kit as forms and back, the school."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks import checkins as checkin_blocks
from bot.blocks.home import GoalLine
from sandbox.blockkit import (
    REQUIRED_MESSAGE,
    FormData,
    Surface,
    Upload,
    action_payload,
    blocks_html,
    state_values,
    with_values,
)
from sandbox.fake_slack import FakeSlack
from sandbox.mrkdwn import Reader, format_date, to_html
from sandbox.school import Role, School, SchoolError

NAMES = {"U1": "Maya <Chen>", "U2": "Dr. Hart"}
READER = Reader(
    names=lambda user: NAMES.get(user, user),
    zone="Asia/Kolkata",
    now=datetime(2027, 1, 5, 12, 0, tzinfo=UTC),
)


def render(text: str) -> str:
    return to_html(text, READER)


# --- mrkdwn ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "*bold* _italic_ ~gone~ `code`",
            "<strong>bold</strong> <em>italic</em> <del>gone</del> <code>code</code>",
        ),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("<script>alert(1)</script>", "scriptalert(1)/script"),
        ("&lt;script&gt; &amp; co", "&lt;script&gt; &amp; co"),
        ('say "hi" & <b>', "say &quot;hi&quot; &amp; b"),
        ("<@U1> thanks", '<span class="mention">@Maya &lt;Chen&gt;</span> thanks'),
        (
            "*Check-in from <@U2>*",
            '<strong>Check-in from <span class="mention">@Dr. Hart</span></strong>',
        ),
        (
            "<https://example.org/a?b=1&c=2|the guide>",
            '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" '
            'rel="noopener noreferrer">the guide</a>',
        ),
        ("<javascript:alert(1)|click>", "click"),
        (
            "<#C123|general> <!here>",
            '<span class="mention">#general</span> <span class="mention">@here</span>',
        ),
        (":tada: :not_an_emoji:", "🎉 :not_an_emoji:"),
        (
            "line one\n>quoted\n>more\nafter",
            "line one<blockquote>quoted<br>more</blockquote>after",
        ),
        ("```a *not bold* <@U1>```", "<pre>a *not bold* &lt;@U1&gt;</pre>"),
        ("nul\x00byte", "nulbyte"),
    ],
)
def test_mrkdwn_is_rendered_and_escaped(text: str, html: str) -> None:
    assert render(text) == html


def test_dates_show_in_the_readers_zone_like_slack() -> None:
    moment = int(datetime(2027, 1, 5, 14, 0, tzinfo=UTC).timestamp())  # 19:30 in Kolkata
    token = f"<!date^{moment}^{{date_short_pretty}} at {{time}}|2027-01-05 14:00 UTC>"
    assert render(token) == '<time class="date">today at 7:30 PM</time>'
    assert format_date(moment, "{date_long}", READER) == "Tuesday, January 5th, 2027"
    assert render("<!date^oops^{date}|the fallback>") == '<time class="date">the fallback</time>'


# --- Block Kit -------------------------------------------------------------------------------

SURFACE = Surface(reader=READER, people=[("U1", "Maya"), ("U2", "Dr. Hart")])


def test_the_real_check_in_form_renders_every_field() -> None:
    modal = checkin_blocks.checkin_modal(
        pairs=[(1, "Dr. Hart"), (2, "Dr. Sen")], goals=[GoalLine(1, "Publish <a> paper", None)]
    )
    blocks: list[dict[str, Any]] = modal["blocks"]  # type: ignore[assignment]
    page = blocks_html(blocks, SURFACE)
    assert '<select name="f:pair:value" required>' in page
    assert '<option value="2">Dr. Sen</option>' in page
    assert '<textarea name="f:mind:value" rows="3" maxlength="1000">' in page
    assert 'type="checkbox" name="f:goals:value" value="1"' in page
    assert "1. Publish &lt;a&gt; paper" in page
    assert '<input type="date" name="f:met:value" value="">' in page


def test_a_submitted_form_becomes_slacks_state_values() -> None:
    modal = checkin_blocks.checkin_modal(
        pairs=[(1, "Dr. Hart"), (2, "Dr. Sen")], goals=[GoalLine(1, "Publish", None)]
    )
    blocks: list[dict[str, Any]] = modal["blocks"]  # type: ignore[assignment]
    form = FormData(
        fields={
            "f:pair:value": ["2"],
            "f:mind:value": ["Hello"],
            "f:goals:value": ["1", "99"],  # 99 is no option: Slack would never send it
            "f:met:value": ["2027-01-04"],
        }
    )
    values, missing = state_values(blocks, form, zone="UTC")
    assert missing == {}
    assert values["pair"]["value"] == {
        "type": "static_select",
        "selected_option": {
            "text": {"type": "plain_text", "text": "Dr. Sen", "emoji": True},
            "value": "2",
        },
    }
    assert values["mind"]["value"] == {"type": "plain_text_input", "value": "Hello"}
    assert [o["value"] for o in values["goals"]["value"]["selected_options"]] == ["1"]
    assert values["met"]["value"] == {"type": "datepicker", "selected_date": "2027-01-04"}
    assert values["questions"]["value"]["value"] is None

    _, missing = state_values(blocks, FormData(), zone="UTC")
    assert missing == {"pair": REQUIRED_MESSAGE}  # the only input that is not optional


ELEMENTS: list[dict[str, Any]] = [
    {
        "type": "input",
        "block_id": "who",
        "label": {"type": "plain_text", "text": "Mentor"},
        "element": {"type": "users_select", "action_id": "v", "initial_user": "U2"},
    },
    {
        "type": "input",
        "block_id": "when",
        "label": {"type": "plain_text", "text": "At"},
        "element": {"type": "timepicker", "action_id": "v", "initial_time": "09:30"},
    },
    {
        "type": "input",
        "block_id": "file",
        "label": {"type": "plain_text", "text": "CSV"},
        "element": {"type": "file_input", "action_id": "v", "filetypes": ["csv"], "max_files": 1},
    },
    {
        "type": "input",
        "block_id": "size",
        "optional": True,
        "label": {"type": "plain_text", "text": "N"},
        "element": {"type": "number_input", "action_id": "v", "is_decimal_allowed": False},
    },
    {
        "type": "input",
        "block_id": "kind",
        "label": {"type": "plain_text", "text": "Kind"},
        "element": {
            "type": "radio_buttons",
            "action_id": "v",
            "options": [
                {"text": {"type": "mrkdwn", "text": "*Weekly*"}, "value": "w"},
                {"text": {"type": "plain_text", "text": "Monthly"}, "value": "m"},
            ],
        },
    },
]


def test_pickers_selects_and_files_render_and_read_back() -> None:
    page = blocks_html(ELEMENTS, SURFACE)
    assert '<option value="U2" selected>Dr. Hart</option>' in page
    assert '<input type="time" name="f:when:v" value="09:30" required>' in page
    assert '<input type="file" name="f:file:v" accept=".csv" required>' in page
    assert '<input type="number" name="f:size:v" value="">' in page
    assert "<strong>Weekly</strong>" in page

    stored: list[Upload] = []

    def store(upload: Upload) -> dict[str, Any]:
        stored.append(upload)
        return {"id": "F1", "name": upload.filename}

    form = FormData(
        fields={"f:who:v": ["U1"], "f:when:v": ["17:45"], "f:kind:v": ["m"]},
        files={"f:file:v": [Upload("pairs.csv", b"mentee,mentor\n", "text/csv")]},
    )
    values, missing = state_values(ELEMENTS, form, zone="Europe/London", store_file=store)
    assert missing == {}
    assert values["who"]["v"] == {"type": "users_select", "selected_user": "U1"}
    assert values["when"]["v"] == {
        "type": "timepicker",
        "selected_time": "17:45",
        "timezone": "Europe/London",
    }
    assert values["file"]["v"] == {
        "type": "file_input",
        "files": [{"id": "F1", "name": "pairs.csv"}],
    }
    assert values["kind"]["v"]["selected_option"]["value"] == "m"
    assert [u.content for u in stored] == [b"mentee,mentor\n"]

    _, missing = state_values(ELEMENTS, FormData(), zone="UTC")
    assert set(missing) == {"who", "when", "file", "kind"}


def test_what_was_entered_is_shown_again_after_errors() -> None:
    form = FormData(fields={"f:who:v": ["U1"], "f:when:v": ["17:45"], "f:kind:v": ["m"]})
    values, _ = state_values(ELEMENTS, form, zone="UTC")
    page = blocks_html(with_values(ELEMENTS, values), SURFACE)
    assert '<option value="U1" selected>Maya</option>' in page
    assert '<option value="U2" selected>' not in page
    assert 'name="f:when:v" value="17:45"' in page
    assert 'value="m" checked' in page
    assert ELEMENTS[1]["element"]["initial_time"] == "09:30"  # the app's blocks are untouched


def test_a_button_action_comes_from_the_blocks_not_the_browser() -> None:
    blocks = [
        {
            "type": "actions",
            "block_id": "b",
            "elements": [
                {
                    "type": "button",
                    "action_id": "pair_accept",
                    "value": "7",
                    "text": {"type": "plain_text", "text": "Accept"},
                },
                {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}],
                },
            ],
        },
    ]
    pressed = action_payload(
        blocks, json.dumps(["b", "pair_accept"]), FormData(fields={"value": ["999"]}), zone="UTC"
    )
    assert pressed == {
        "block_id": "b",
        "action_id": "pair_accept",
        "type": "button",
        "value": "7",
        "text": {"type": "plain_text", "text": "Accept"},
    }
    chosen = action_payload(
        blocks, json.dumps(["b", "pick"]), FormData(fields={"f:b:pick": ["1"]}), zone="UTC"
    )
    assert chosen is not None and chosen["selected_option"]["value"] == "1"
    assert action_payload(blocks, json.dumps(["b", "forged"]), FormData(), zone="UTC") is None
    assert action_payload(blocks, "not json", FormData(), zone="UTC") is None


def test_blocks_the_sandbox_cannot_draw_say_so() -> None:
    page = blocks_html([{"type": "video", "title": {"type": "plain_text", "text": "x"}}], SURFACE)
    assert "cannot draw a “video” block" in page


def test_confirm_dialogs_and_link_buttons() -> None:
    blocks = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "end",
                    "text": {"type": "plain_text", "text": "End"},
                    "style": "danger",
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Sure?"},
                        "text": {"type": "plain_text", "text": "It <ends>"},
                    },
                },
                {
                    "type": "button",
                    "action_id": "docs",
                    "text": {"type": "plain_text", "text": "Docs"},
                    "url": "javascript:alert(1)",
                },
            ],
        }
    ]
    page = blocks_html(blocks, SURFACE)
    assert 'data-confirm="Sure?\n\nIt &lt;ends&gt;"' in page
    assert "javascript:" not in page


# --- the school --------------------------------------------------------------------------------


@pytest.fixture
def school() -> School:
    return School(FakeSlack())


def test_the_seeded_school(school: School) -> None:
    assert [len(school.of_role(role)) for role in Role] == [3, 3, 1]
    zones = {m.tz for m in school.of_role(Role.MENTOR)}
    assert zones == {"America/New_York", "Europe/London", "Asia/Kolkata"}


def test_mentions_are_escaped_as_slack_does(school: School) -> None:
    assert school.escape_mentions("request @hart and @nobody, cc @sen.") == (
        "request <@U0HART|hart> and @nobody, cc <@U0SEN|sen>."
    )
    assert school.escape_mentions("mail me at maya@school.edu") == "mail me at maya@school.edu"


def test_editing_the_school_checks_what_it_is_given(school: School) -> None:
    with pytest.raises(SchoolError, match="taken"):
        school.add(name="Another Hart", handle="hart", role="mentor", tz="UTC")
    with pytest.raises(SchoolError, match="Slack handle"):
        school.add(name="X", handle="Not A Handle", role="mentor", tz="UTC")
    with pytest.raises(SchoolError, match="not a role"):
        school.edit("U0HART", name="Dr. Hart", role="dean", tz="UTC")
    with pytest.raises(SchoolError, match="1 to 60"):
        school.edit("U0HART", name="   ", role="mentor", tz="UTC")
    promoted = school.edit("U0MAYA", name="Maya Chen", role="coordinator", tz="")
    assert promoted.tz == "America/New_York"  # an empty zone keeps the current one
    added = school.add(name="Lee Kim", handle="lee.kim", role="student", tz="Europe/Berlin")
    assert added.user_id.startswith("U0") and school.by_handle("lee.kim") == added
