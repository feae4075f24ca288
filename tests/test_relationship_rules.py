"""The rules behind the relationship's beginning and end, one at a time: theme rotation,
kick-off edge cases, catch-ups after downtime, the pay-it-forward invitation, bad input,
history on the Home tab, and what the new messages look like to Slack."""

from __future__ import annotations

import io
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.views import View
from sqlalchemy import select

from bot.blocks import directory as directory_blocks
from bot.blocks import endings as ending_blocks
from bot.blocks import home
from bot.blocks import kickoff as kickoff_blocks
from bot.blocks import nudges as nudge_blocks
from bot.blocks import record as record_blocks
from bot.blocks.help import USAGES, help_blocks, usage_for
from bot.config import Settings
from bot.domain import checkins, directory, endings, pairs
from bot.domain.cadence import WorkingHours
from bot.domain.program.attention import Attention, AttentionItem, Reason
from bot.domain.themes import Theme, theme_for
from bot.service import Database
from bot.slack_out import make_web_client
from bot.store.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Goal,
    GoalStatus,
    Pair,
    PairState,
)
from jobs.dispatcher import Dispatcher
from jobs.preview import print_preview
from jobs.profiles import refresh_stale_profiles
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.slack_requests import SlackSender, block_action_payload, view_submission_payload
from tests.test_blocks import LONG, MESSAGE_BLOCKS, check_limits, pair_line
from tests.test_journey import assert_database_holds_none_of, command_text
from tests.test_pairs_flow import press

HOURS = WorkingHours()
STUDENT, MENTOR, SPACE = "U0KIDA", "U0DOCA", "G0ARC"
# Tuesday 5 January 2027, 10:00 in New York: the kick-off is due Thursday 7th, 09:00.
START = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
KICK_OFF = datetime(2027, 1, 7, 14, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def new_pair(database: Database, fake_slack: FakeSlack, **fields: Any) -> int:
    fake_slack.add_channel(SPACE, members=[STUDENT, MENTOR])
    return make_pair(database, mentee=STUDENT, mentor=MENTOR, now=START, channel=SPACE, **fields)


def rows(database: Database, kind: DeliveryKind) -> list[Delivery]:
    with database.sessions() as session:
        query = select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)
        return list(session.execute(query).scalars())


def meet(database: Database, pair_id: int, now: datetime) -> None:
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        checkins.record_meeting(
            session, pair=pair, actor=pair.mentee, met_on=None, hours=HOURS, now=now
        )


def end_and_keep_in_touch(database: Database, pair_id: int, now: datetime) -> datetime:
    """Ends the pair and has both members press "Keep in touch"; the first catch-up time."""
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        endings.end_pair(session, pair=pair, actor=pair.mentee, hours=HOURS, now=now)
        for member in (pair.mentee, pair.mentor):
            endings.keep_in_touch(session, pair=pair, member=member, hours=HOURS, now=now)
        assert pair.state is PairState.ALUMNI
        return pair.next_prompt_at


# --- themes -----------------------------------------------------------------------------------


def test_feedback_comes_at_least_every_third_prompt_and_every_theme_takes_turns() -> None:
    themes = [theme_for(number) for number in range(60)]
    feedback = [number for number, theme in enumerate(themes) if theme is Theme.FEEDBACK]
    assert feedback[0] <= 2
    assert all(later - earlier <= 3 for earlier, later in itertools.pairwise(feedback))
    for theme in Theme:
        assert themes.count(theme) >= 12
    for a, b in itertools.pairwise(themes):
        assert a is not b  # never the same theme twice in a row
    with pytest.raises(ValueError, match="never negative"):
        theme_for(-1)


def test_a_prompt_says_what_its_round_is_about() -> None:
    for theme, words in (
        ("prepared", "come prepared"),
        ("feedback", "What I'd like feedback on"),
        ("goals", "review your goals"),
        ("next_steps", "plan next steps"),
    ):
        text, blocks = nudge_blocks.prompt(
            pair_id=1, mentee="U1", mentor="U2", goals=[], theme=theme
        )
        assert words in json.dumps(blocks)
        assert (theme == "prepared") == (text == ":wave: Time to check in, <@U1> and <@U2>!")


# --- kick-off ---------------------------------------------------------------------------------


def test_a_coordinators_pair_gets_its_kick_off_on_the_second_working_day(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack)
    with database.sessions() as session:
        assert session.get(Pair, pair_id).kick_off_at == KICK_OFF
    assert (
        tick(database.sessions, dispatcher, now=KICK_OFF - timedelta(minutes=1)).plan.kick_offs == 0
    )
    report = tick(database.sessions, dispatcher, now=KICK_OFF)
    assert (report.plan.kick_offs, report.dispatch.sent) == (1, 1)
    (kick_off,) = rows(database, DeliveryKind.KICK_OFF)
    assert (kick_off.status, kick_off.channel_id) == (DeliveryStatus.SENT, SPACE)
    assert (
        tick(database.sessions, dispatcher, now=KICK_OFF + timedelta(hours=1)).plan.kick_offs == 0
    )


def test_a_pair_started_on_friday_evening_kicks_off_on_tuesday(database: Database) -> None:
    pair_id = make_pair(
        database,
        mentee=STUDENT,
        mentor=MENTOR,
        now=at("2027-01-08T22:00:00Z"),  # 17:00 Friday
    )
    with database.sessions() as session:
        assert session.get(Pair, pair_id).kick_off_at == at("2027-01-12T14:00:00Z")


def test_a_pair_that_already_met_gets_no_kick_off(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack)
    meet(database, pair_id, START + timedelta(hours=2))
    assert tick(database.sessions, dispatcher, now=KICK_OFF).dispatch.sent == 0
    (kick_off,) = rows(database, DeliveryKind.KICK_OFF)
    assert (kick_off.status, kick_off.outcome) == (DeliveryStatus.SKIPPED, "already checked in")


def test_after_downtime_a_missed_kick_off_is_skipped_not_sent_late(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    new_pair(database, fake_slack)
    report = tick(database.sessions, dispatcher, now=KICK_OFF + timedelta(days=1))
    assert (report.dispatch.sent, report.dispatch.skipped) == (0, 1)
    assert rows(database, DeliveryKind.KICK_OFF)[0].outcome.startswith("missed")


def test_a_kick_off_on_an_exam_day_waits_for_the_first_working_day_after(
    database: Database, dispatcher: Dispatcher, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    new_pair(database, fake_slack)
    added = command_text(
        slack, "/mentor", "calendar add 2027-01-07..2027-01-08 Exams", user="UCOORD"
    )
    assert "Added *Exams*" in added
    assert tick(database.sessions, dispatcher, now=KICK_OFF).dispatch.sent == 0
    (kick_off,) = rows(database, DeliveryKind.KICK_OFF)
    assert (kick_off.status, kick_off.due_at) == (
        DeliveryStatus.SCHEDULED,
        at("2027-01-11T14:00:00Z"),
    )
    assert tick(database.sessions, dispatcher, now=at("2027-01-11T14:00:00Z")).dispatch.sent == 1
    assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")] == [SPACE]


def test_a_paused_pair_keeps_its_kick_off_until_it_resumes(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack)
    with database.sessions.begin() as session:
        pairs.pause(session.get(Pair, pair_id), until=at("2027-01-20T12:00:00Z").date(), now=START)
    assert tick(database.sessions, dispatcher, now=KICK_OFF).plan.kick_offs == 0
    assert rows(database, DeliveryKind.KICK_OFF) == []


def test_preview_shows_the_coming_kick_off(database: Database, fake_slack: FakeSlack) -> None:
    new_pair(database, fake_slack)
    out = io.StringIO()
    print_preview(database.sessions, weeks=1, now=START, out=out)
    (line,) = [line for line in out.getvalue().splitlines() if "kick-off" in line]
    assert line.split()[:4] == ["2027-01-07", "Thu", "09:00", "America/New_York"]


def test_preview_shows_an_alumni_pairs_catch_ups(database: Database, fake_slack: FakeSlack) -> None:
    pair_id = new_pair(database, fake_slack)
    end_and_keep_in_touch(database, pair_id, START)
    out = io.StringIO()
    print_preview(database.sessions, weeks=60, now=START, out=out)
    shown = out.getvalue()
    assert "[alumni: keeping in touch]" in shown
    catch_ups = [line.split()[0] for line in shown.splitlines() if line.endswith("catch-up")]
    assert catch_ups == ["2027-07-05", "2028-01-05"]


# --- endings and catch-ups --------------------------------------------------------------------


def test_each_wrap_up_keeps_its_recipients_hours(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack)
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        pair.mentor.tz = "Europe/London"
        endings.end_pair(
            session, pair=pair, actor=pair.mentee, hours=HOURS, now=at("2027-01-11T21:00:00Z")
        )
    (mentee,) = rows(database, DeliveryKind.WRAP_UP)
    (mentor,) = rows(database, DeliveryKind.MENTOR_WRAP_UP)
    assert mentee.due_at == at("2027-01-11T21:00:00Z")  # 16:00 in New York: now
    assert mentor.due_at == at("2027-01-12T09:00:00Z")  # 21:00 in London: next morning
    report = tick(database.sessions, dispatcher, now=at("2027-01-12T14:00:00Z"))
    assert report.dispatch.sent == 2
    assert {call.args["channel"] for call in fake_slack.calls_to("chat.postMessage")} == {
        STUDENT,
        MENTOR,
    }


def test_a_missed_catch_up_is_skipped_and_the_next_comes_six_months_on(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack)
    first = end_and_keep_in_touch(database, pair_id, START)
    assert first == at("2027-07-05T13:00:00Z")  # Monday 5 July, 09:00 in New York (EDT)
    assert tick(database.sessions, dispatcher, now=START).dispatch.sent == 2  # the wrap-ups
    report = tick(database.sessions, dispatcher, now=first + timedelta(days=2))
    assert (report.plan.catch_ups, report.dispatch.sent, report.dispatch.skipped) == (1, 0, 1)
    with database.sessions() as session:
        assert session.get(Pair, pair_id).next_prompt_at == at("2028-01-05T14:00:00Z")


def test_no_catch_up_for_alumni_who_paired_again(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack)
    first = end_and_keep_in_touch(database, pair_id, START)
    with database.sessions.begin() as session:
        old = session.get(Pair, pair_id)
        pairs.pair_directly(
            session,
            mentee=old.mentee,
            mentor=old.mentor,
            default_capacity=5,
            hours=HOURS,
            now=first - timedelta(days=30),
        )
    tick(database.sessions, dispatcher, now=first)
    (catch_up,) = rows(database, DeliveryKind.CATCH_UP)
    assert (catch_up.status, catch_up.outcome) == (DeliveryStatus.SKIPPED, "paired again")


def test_alumni_who_move_keep_their_catch_up_at_nine_local(
    database: Database, settings: Settings, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack)
    assert end_and_keep_in_touch(database, pair_id, START) == at("2027-07-05T13:00:00Z")
    for user in (STUDENT, MENTOR):  # off to residency in London
        fake_slack.add_user(user, tz="Europe/London")
    client = make_web_client(settings)
    assert refresh_stale_profiles(database.sessions, client, hours=HOURS, now=START) == 2
    with database.sessions() as session:
        assert session.get(Pair, pair_id).next_prompt_at == at("2027-07-05T08:00:00Z")


def test_keep_in_touch_is_for_ended_pairs_and_counts_once(
    database: Database, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack)
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        with pytest.raises(Exception, match="still going"):
            endings.keep_in_touch(session, pair=pair, member=pair.mentee, hours=HOURS, now=START)
        endings.end_pair(session, pair=pair, actor=pair.mentor, hours=HOURS, now=START)
        outcomes = [
            endings.keep_in_touch(session, pair=pair, member=pair.mentee, hours=HOURS, now=START)
            for _ in range(2)
        ]
        assert outcomes == [endings.KeptInTouch.WAITING, endings.KeptInTouch.ALREADY]
        assert pair.state is PairState.ENDED


@pytest.mark.parametrize("attempt", range(3))
def test_both_pressing_keep_in_touch_at_once_makes_alumni(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, attempt: int
) -> None:
    pair_id = new_pair(database, fake_slack)
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        endings.end_pair(session, pair=pair, actor=pair.mentee, hours=HOURS, now=START)
    payloads = [
        block_action_payload(user=user, action_id="ending_keep_in_touch", value=str(pair_id))
        for user in (STUDENT, MENTOR)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert all(reply.status == 200 for reply in pool.map(slack.interaction, payloads))
    fake_slack.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == SPACE and "keeping in touch" in c.args["text"],
    )
    with database.sessions() as session:
        assert session.get(Pair, pair_id).state is PairState.ALUMNI


# --- pay it forward ---------------------------------------------------------------------------


def test_a_year_after_the_first_check_in_the_mentee_is_invited_to_mentor_once(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack, kick_off_behind_it=True)
    meet(database, pair_id, at("2027-01-12T16:00:00Z"))
    fake_slack.add_channel("G0ARC2", members=[STUDENT, "U0DOCB"])
    second = make_pair(database, mentee=STUDENT, mentor="U0DOCB", now=START, channel="G0ARC2")
    meet(database, second, at("2027-01-13T16:00:00Z"))
    meet(database, pair_id, at("2027-02-12T16:00:00Z"))  # not a first check-in: no new plan
    invitations = rows(database, DeliveryKind.PAY_IT_FORWARD)
    assert [(d.pair_id, d.due_at) for d in invitations] == [
        (pair_id, at("2028-01-12T16:00:00Z")),
        (second, at("2028-01-13T16:00:00Z")),
    ]
    tick(database.sessions, dispatcher, now=at("2028-01-12T16:00:00Z"))
    (dm,) = [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == STUDENT]
    assert "pay it forward" in dm.args["text"] and "/mentor offer" in json.dumps(dm.args["blocks"])
    tick(database.sessions, dispatcher, now=at("2028-01-13T16:00:00Z"))
    assert rows(database, DeliveryKind.PAY_IT_FORWARD)[1].outcome == "already invited"


def test_someone_already_in_the_directory_is_not_invited(
    database: Database, dispatcher: Dispatcher, fake_slack: FakeSlack
) -> None:
    pair_id = new_pair(database, fake_slack, kick_off_behind_it=True)
    meet(database, pair_id, at("2027-01-12T16:00:00Z"))
    with database.sessions.begin() as session:
        mentee = session.get(Pair, pair_id).mentee
        directory.offer(session, person=mentee, topics="anatomy", now=START)
    tick(database.sessions, dispatcher, now=at("2028-01-12T16:00:00Z"))
    (invitation,) = rows(database, DeliveryKind.PAY_IT_FORWARD)
    assert (invitation.status, invitation.outcome) == (
        DeliveryStatus.SKIPPED,
        "already in the directory",
    )


# --- the directory's rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topics", "words", "score"),
    [
        ("Surgery, research & Match advice", ["surgery"], 1),
        ("general surgery", ["surg"], 1),
        ("surgical oncology", ["surgery"], 0),
        ("research", ["surgery", "research"], 1),
        ("", ["surgery"], 0),
    ],
)
def test_topics_match_by_word_beginnings(topics: str, words: list[str], score: int) -> None:
    assert directory.match_score(topics, words) == score


def test_search_words_skip_filler() -> None:
    assert directory.words_of("mentors in Surgery and RESEARCH") == [
        "mentors",
        "surgery",
        "research",
    ]


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("offer " + "x" * 301, "under 300 characters"),
        ("find the of and", "Name a topic"),
        ("record", "no mentees in Rounds yet"),
        (f"end <@{MENTOR}>", "are not paired"),
    ],
)
def test_new_commands_explain_what_was_wrong(slack: SlackSender, text: str, expected: str) -> None:
    shown = command_text(slack, "/mentor", text, user="U0NEWBIE")
    assert expected in shown and "For example" in shown


def test_leaving_the_directory_without_being_in_it_says_so(slack: SlackSender) -> None:
    shown = command_text(slack, "/mentor", "offer off", user="U0NEWBIE")
    assert "weren't in the mentor directory" in shown


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        ("ending_keep_in_touch", "not-a-pair"),
        ("ending_keep_in_touch", "999999"),
        ("directory_request", "<!channel>"),
    ],
)
def test_stale_or_forged_buttons_get_a_clear_answer(
    slack: SlackSender, fake_slack: FakeSlack, action_id: str, value: str
) -> None:
    shown = press(slack, fake_slack, user="U0NEWBIE", action_id=action_id, value=value)
    assert "out of date" in shown["text"]


def test_only_members_press_keep_in_touch(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = new_pair(database, fake_slack)
    shown = press(
        slack, fake_slack, user="U0NOSY", action_id="ending_keep_in_touch", value=str(pair_id)
    )
    assert "out of date" in shown["text"]
    shown = press(
        slack, fake_slack, user=STUDENT, action_id="ending_keep_in_touch", value=str(pair_id)
    )
    assert "still going" in shown["text"]


# --- the check-in form's feedback box ---------------------------------------------------------


def test_what_i_would_like_feedback_on_is_posted_never_stored(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = new_pair(database, fake_slack)
    wanted = "My oral case presentation on rounds yesterday"
    submission = view_submission_payload(
        user=STUDENT,
        callback_id="checkin_form",
        values={"feedback": {"value": {"type": "plain_text_input", "value": wanted}}},
        private_metadata=json.dumps({"pair": pair_id}),
    )
    assert slack.interaction(submission).status == 200
    (post,) = fake_slack.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == SPACE and "Check-in from" in c.args["text"],
    )
    shown = json.dumps(post.args["blocks"])
    assert "What I'd like feedback on" in shown and wanted in shown
    assert_database_holds_none_of(database, [wanted])


# --- history on the Home tab ------------------------------------------------------------------


def test_the_home_tab_keeps_past_pairs_with_their_goals(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    pair_id = new_pair(database, fake_slack)
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        for number, (text, status) in enumerate(
            (("Publish a case report", GoalStatus.DONE), ("Shadow in the OR", GoalStatus.OPEN)),
            start=1,
        ):
            session.add(
                Goal(pair=pair, mentee_id=pair.mentee_id, number=number, text=text, status=status)
            )
        endings.end_pair(session, pair=pair, actor=pair.mentee, hours=HOURS, now=START)
    slack.event({"type": "app_home_opened", "user": STUDENT, "channel": "D0K", "tab": "home"})
    (published,) = fake_slack.wait_for("views.publish")
    shown = json.dumps(published.args["view"])
    assert "Past mentorships" in shown and "no current pairs" in shown
    assert "Publish a case report" in shown and "Shadow in the OR" in shown
    assert '"action_id": "ending_keep_in_touch"' in shown
    press(slack, fake_slack, user=STUDENT, action_id="ending_keep_in_touch", value=str(pair_id))
    republished = fake_slack.wait_for(
        "views.publish", lambda c: c.args["user_id"] == STUDENT, count=2
    )[-1]
    shown = json.dumps(republished.args["view"])
    assert "waiting for <@U0DOCA>" in shown
    assert '"action_id": "ending_keep_in_touch"' not in shown


# --- documentation and Slack's limits ---------------------------------------------------------


def test_every_mentor_subcommand_is_documented() -> None:
    from bot.listeners.commands import mentor

    for subcommand in mentor.SUBCOMMANDS:
        assert usage_for("/mentor", subcommand).example.startswith("/mentor")
    documented = {usage.subcommand for usage in USAGES if usage.command == "/mentor"}
    assert {"offer", "find", "record"} <= documented


def test_help_is_never_cut_short() -> None:
    shown = "\n".join((block.get("text") or {}).get("text", "") for block in help_blocks())
    for usage in USAGES:
        assert usage.example in shown
    assert "…" not in shown


PAST = [
    ending_blocks.PastLine(
        pair_id=n,
        role="mentor" if n % 2 else "mentee",
        other=f"U{n:08d}",
        state="alumni" if n % 3 else "ended",
        started=START.date(),
        ended=START.date(),
        together=ending_blocks.Together(months=n / 3, checkins=n, thanks=n % 2),
        next_catch_up=START,
        goals=[ending_blocks.PastGoal(g, LONG[:290], "done") for g in range(12)],
        can_keep_in_touch=n % 2 == 0,
    )
    for n in range(40)
]
ENTRIES = [
    directory_blocks.Entry(f"U{n:08d}", LONG[:300], capacity=5, mentees=n % 6) for n in range(60)
]
RECORD = [
    record_blocks.RecordLine(f"U{n:08d}", "ended", START.date(), None, 3.5, 9, 2) for n in range(80)
]
TOTALS = record_blocks.RecordTotals(80, 10, 280.0, 720, 160)
TOGETHER = ending_blocks.Together(months=7.4, checkins=12, thanks=3)
NEW_MESSAGES = {
    "kick-off": lambda: kickoff_blocks.kick_off(
        pair_id=1, mentee="U1", mentor="U2", cadence="weekly"
    ),
    "mentee wrap-up": lambda: ending_blocks.mentee_wrap_up(pair_id=1, mentor="U2"),
    "mentee wrap-up, kept": lambda: ending_blocks.mentee_wrap_up(
        pair_id=1, mentor="U2", kept="alumni", first_catch_up=START
    ),
    "mentor wrap-up": lambda: ending_blocks.mentor_wrap_up(
        pair_id=1, mentee="U1", together=TOGETHER
    ),
    "mentor wrap-up, waiting": lambda: ending_blocks.mentor_wrap_up(
        pair_id=1, mentee="U1", together=TOGETHER, kept="waiting"
    ),
    "catch-up": lambda: ending_blocks.catch_up(mentee="U1", mentor="U2"),
    "now alumni": lambda: ending_blocks.now_alumni(mentee="U1", mentor="U2", first_catch_up=START),
    "asked to keep in touch": lambda: ending_blocks.other_wants_to_keep_in_touch(who="U1"),
    "stop catch-ups": lambda: ending_blocks.stop_catch_ups_confirmation(pair_id=1, label="<@U2>"),
    "catch-ups stopped": lambda: ending_blocks.catch_ups_stopped(actor="U1", other="U2"),
    "list with past": lambda: ending_blocks.pair_list_with_past(
        [pair_line(n) for n in range(200)], PAST
    ),
    "only past": lambda: ending_blocks.pair_list_with_past([], PAST[:3]),
    "offered": lambda: directory_blocks.offered(entry=ENTRIES[0], changed=False),
    "offered, full, no topics": lambda: directory_blocks.offered(
        entry=directory_blocks.Entry("U1", "", 2, 2), changed=True
    ),
    "left": lambda: directory_blocks.withdrawn(was_listed=True),
    "found many": lambda: directory_blocks.found(entries=ENTRIES, words=["x" * 500]),
    "found none": lambda: directory_blocks.found(entries=[], words=["surgery"]),
    "pay it forward": lambda: directory_blocks.pay_it_forward(mentor="U2"),
    "record": lambda: record_blocks.record(lines=RECORD, totals=TOTALS, file_coming=True),
}


@pytest.mark.parametrize("name", sorted(NEW_MESSAGES))
def test_new_messages_fit_slacks_limits(name: str) -> None:
    text, blocks = NEW_MESSAGES[name]()
    assert text
    assert 0 < len(blocks) <= MESSAGE_BLOCKS
    check_limits(blocks)


def test_topics_are_shown_as_words_never_as_pings() -> None:
    entry = directory_blocks.Entry("U1", "surgery <!channel> <@U2>", 5, 0)
    shown = json.dumps(directory_blocks.found(entries=[entry], words=["surgery"])[1])
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown


@pytest.mark.parametrize("past_pairs", range(7))
def test_a_busy_coordinators_home_keeps_history_the_pool_and_the_footer(past_pairs: int) -> None:
    items = [
        AttentionItem(Reason.GOING_COLD, n, f"U1{n:05d}", f"U2{n:05d}", 30, None)
        for n in range(1000)
    ]
    history = [
        block for line in PAST[:past_pairs] for block in ending_blocks.past_pair_blocks(line)
    ]
    view = home.home_view(
        pairs=[],
        recent=[],
        program=home.Program(
            1000, 0, 0, 0, attention=Attention(counts={Reason.GOING_COLD: 1000}, items=items)
        ),
        history=history,
        directory=directory_blocks.pool(ENTRIES),
    )
    View(**view).validate_json()
    blocks = view["blocks"]
    assert isinstance(blocks, list) and len(blocks) <= 100
    check_limits(blocks)
    shown = json.dumps(blocks)
    assert "Mentor directory:* 60 mentors" in shown and "Import pairs" in shown
    assert "Rounds never stores what you write" in json.dumps(blocks[-1])


def test_when_slack_refuses_the_record_file_the_mentor_is_told(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    new_pair(database, fake_slack)
    fake_slack.fail_next("files.completeUploadExternal", error="not_allowed_token_type")
    reply, response_url = slack.command("/mentor", "record", user=MENTOR)
    assert "Your mentoring record: 1 mentee (1 current)" in reply.json["text"]
    (warning,) = fake_slack.wait_for_response(response_url)
    assert "didn't take the CSV file" in warning["text"]
    assert fake_slack.uploaded_files() == []
