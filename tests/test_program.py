"""Program tools, tried as a new coordinator would against the fake Slack, through signed
requests and scheduler ticks: import a cohort, see who needs help, Monday's digest, the
export, and a spring break that moves the week's prompts."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.domain.program.export import COLUMNS
from bot.service import Database
from bot.store.models import Blackout, Delivery, DeliveryKind, DeliveryStatus, Pair, PairState
from jobs.dispatcher import Dispatcher
from jobs.preview import print_preview
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.slack_requests import SlackSender, view_submission_payload
from tests.test_journey import command_text

COORDINATOR = "UCOORD"  # in ROUNDS_COORDINATORS (tests/conftest.py)
BUSY_MENTOR = "U2BUSY"


def _view(call: SlackCall) -> dict[str, Any]:
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def cohort_csv(fake_slack: FakeSlack) -> tuple[bytes, dict[int, str]]:
    """200 pairs after the header; five lines are wrong, each in its own way."""
    fake_slack.add_user(BUSY_MENTOR, email="busy@med.example", tz="America/Chicago")
    rows, bad = ["mentee,mentor,cadence,goal"], {}
    for index in range(200):
        line = index + 2  # the header is line 1
        mentee, mentor = f"U1{index:05d}", f"U2{index:05d}"
        fake_slack.add_user(mentee, email=f"student{index}@med.example")
        fake_slack.add_user(mentor, email=f"mentor{index}@med.example", tz="Europe/London")
        row = f"student{index}@med.example,mentor{index}@med.example,,"
        if index < 5:
            row = f"student{index}@med.example,busy@med.example,weekly,Plan my research year"
        if line == 10:
            row, bad[line] = "ghost@med.example,mentor8@med.example,,", "unknown e-mail"
        elif line == 20:
            row, bad[line] = rows[1], "duplicate line"
        elif line == 30:
            row, bad[line] = f"student{index}@med.example,{mentor},every 12 weeks,", "cadence"
        elif line == 40:
            row, bad[line] = f"student{index}@med.example,busy@med.example,,", "capacity"
        elif line == 50:
            row, bad[line] = f"someone,mentor{index}@med.example,,", "not an e-mail"
        rows.append(row)
    return ("\r\n".join(rows) + "\r\n").encode("utf-8-sig"), bad


def submit_file(slack: SlackSender, fake_slack: FakeSlack, name: str, content: bytes) -> None:
    file = fake_slack.add_file(name, content, user=COORDINATOR)
    values = {"file": {"value": {"type": "file_input", "files": [file]}}}
    payload = view_submission_payload(user=COORDINATOR, callback_id="import_form", values=values)
    reply = slack.interaction(payload)
    assert reply.status == 200
    assert reply.json["response_action"] == "update"  # "Checking…" at once, within 3 s


def dry_run(slack: SlackSender, fake_slack: FakeSlack, content: bytes) -> dict[str, Any]:
    before = len(fake_slack.calls_to("views.update"))
    submit_file(slack, fake_slack, "cohort.csv", content)
    (call,) = fake_slack.wait_for("views.update", count=before + 1, timeout=30)[before:]
    return _view(call)


def confirm(slack: SlackSender, fake_slack: FakeSlack, view: dict[str, Any]) -> str:
    before = len(fake_slack.calls_to("views.update"))
    payload = view_submission_payload(
        user=COORDINATOR,
        callback_id=view["callback_id"],
        values={},
        private_metadata=view["private_metadata"],
    )
    assert slack.interaction(payload).status == 200
    (call,) = fake_slack.wait_for("views.update", count=before + 1, timeout=30)[before:]
    return json.dumps(_view(call))


def test_a_coordinator_launches_a_cohort_and_sees_who_needs_help(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, dispatcher: Dispatcher
) -> None:
    content, bad = cohort_csv(fake_slack)

    # /mentor import opens the form with a file input.
    reply, _ = slack.command("/mentor", "import", user=COORDINATOR)
    assert reply.status == 200
    (opened,) = fake_slack.wait_for("views.open")
    assert "file_input" in json.dumps(_view(opened))

    # The dry run names the five bad lines, and nothing exists yet.
    shown = dry_run(slack, fake_slack, content)
    text = json.dumps(shown)
    assert "New pairs: *195*" in text and "Already paired: *0*" in text
    for line, why in bad.items():
        assert f"line {line}:" in text, why
    assert "capacity" in text and "duplicate" in text and "ghost@med.example" in text
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Pair)) == 0
    # Each address was looked up once, however often it appears.
    lookups = [c.args["email"] for c in fake_slack.calls_to("users.lookupByEmail")]
    assert len(lookups) == len(set(lookups))

    # Import: 195 active pairs at once, each with one welcome in the outbox, paced.
    assert "Imported *195 pairs*" in confirm(slack, fake_slack, shown)
    with database.sessions() as session:
        states = session.execute(select(Pair.state, func.count()).group_by(Pair.state)).all()
        assert states == [(PairState.ACTIVE, 195)]
        welcomes = sorted(
            session.execute(
                select(Delivery.due_at).where(Delivery.kind == DeliveryKind.WELCOME)
            ).scalars()
        )
    assert len(welcomes) == 195
    for first in welcomes:  # no minute holds more than Slack's ~50 conversations.open
        assert sum(first <= due < first + timedelta(minutes=1) for due in welcomes) <= 50
    start = welcomes[0]

    # The worker sends them minute by minute: every welcome once, no 429 storm.
    sent_per_minute = []
    for minute in range(8):
        sent_per_minute.append(
            tick(database.sessions, dispatcher, now=start + timedelta(minutes=minute)).dispatch.sent
        )
    assert sum(sent_per_minute) == 195 and max(sent_per_minute) <= 50
    opens = fake_slack.calls_to("conversations.open")
    assert len({c.args["users"] for c in opens}) == len(opens) == 195
    welcome_posts = [
        c for c in fake_slack.calls_to("chat.postMessage") if "Welcome" in str(c.args.get("text"))
    ]
    assert len(welcome_posts) == 195
    assert not [c for c in fake_slack.calls if not c.answered_ok]

    # Importing the same file again creates nothing.
    again = dry_run(slack, fake_slack, content)
    assert "New pairs: *0*" in json.dumps(again) and "Already paired: *195*" in json.dumps(again)
    assert again.get("submit") is None

    # A pair goes cold: it shows on the coordinator's Home tab, with Nudge and End.
    with database.sessions.begin() as session:
        cold = session.execute(select(Pair).order_by(Pair.id).limit(1)).scalar_one()
        cold.unanswered_prompts, cold.going_cold = 2, True
        cold_mentee = cold.mentee.slack_user_id

    def for_coordinator(call: SlackCall) -> bool:
        return call.args["user_id"] == COORDINATOR

    published = len([c for c in fake_slack.calls_to("views.publish") if for_coordinator(c)])
    slack.event({"type": "app_home_opened", "user": COORDINATOR, "channel": "D0X", "tab": "home"})
    home = _view(fake_slack.wait_for("views.publish", for_coordinator, count=published + 1)[-1])
    assert len(home["blocks"]) <= 100
    home_text = json.dumps(home)
    assert "Going cold" in home_text and cold_mentee in home_text
    assert "attention_nudge" in home_text and "attention_end" in home_text

    # Monday 09:00 in the coordinator's zone: one digest, with that pair; never twice.
    monday = start.astimezone(UTC).date() + timedelta(days=(7 - start.weekday()) % 7 or 7)
    nine = datetime(monday.year, monday.month, monday.day, 14, 0, tzinfo=UTC)  # 09:00 EST/EDT±
    for moment in (nine + timedelta(hours=1), nine + timedelta(hours=2)):
        tick(database.sessions, dispatcher, now=moment)
    digests = [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        if "weekly digest" in str(c.args.get("text"))
    ]
    assert len(digests) == 1 and cold_mentee in json.dumps(digests[0].args["blocks"])

    # The export is a CSV a spreadsheet opens: one row per pair, counts and dates only.
    command_text(slack, "/mentor", "export", user=COORDINATOR)
    fake_slack.wait_for("files.completeUploadExternal", timeout=10)
    (export,) = fake_slack.uploaded_files(COORDINATOR)
    rows = list(csv.reader(io.StringIO(export["content"].decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 196
    assert "Plan my research year" not in export["content"].decode("utf-8-sig")


def test_a_spring_break_moves_that_weeks_prompts(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    dispatcher: Dispatcher,
    pair_id: int,
) -> None:
    first_prompt = datetime(2027, 1, 19, 14, 0, tzinfo=UTC)  # Tuesday 09:00 in New York
    shown = command_text(
        slack, "/mentor", "calendar add 2027-01-18..2027-01-22 Spring break", user=COORDINATOR
    )
    assert "Added *Spring break*" in shown
    assert "Spring break" in command_text(slack, "/mentor", "calendar list", user=COORDINATOR)

    report = tick(database.sessions, dispatcher, now=first_prompt)
    assert report.dispatch.sent == 0
    with database.sessions() as session:
        (prompt,) = session.execute(
            select(Delivery).where(Delivery.kind == DeliveryKind.PROMPT)
        ).scalars()
        # The first working day after the break, at the pair's time: Monday 09:00.
        assert prompt.due_at == datetime(2027, 1, 25, 14, 0, tzinfo=UTC)
        assert prompt.status is DeliveryStatus.SCHEDULED
    assert (
        tick(
            database.sessions, dispatcher, now=datetime(2027, 1, 25, 14, 0, tzinfo=UTC)
        ).dispatch.sent
        == 1
    )


def test_preview_shows_names_both_local_times_and_the_blackouts_it_skipped(
    database: Database, pair_id: int
) -> None:
    with database.sessions.begin() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        pair.mentee.display_name, pair.mentor.tz = "Sam Lee", "Europe/London"
        session.add(
            Blackout(
                workspace_id=pair.workspace_id,
                starts_on=date(2027, 1, 18),
                ends_on=date(2027, 1, 22),
                name="Spring break",
                source="manual",
            )
        )
    out = io.StringIO()
    print_preview(database.sessions, weeks=5, now=datetime(2027, 1, 5, 15, tzinfo=UTC), out=out)
    shown = out.getvalue()
    assert "mentee Sam Lee (U0STUDENT)" in shown
    (first,) = [line for line in shown.splitlines() if "check-in prompt" in line][:1]
    assert first.split()[0] == "2027-01-25"  # Monday after the break, not Tuesday the 19th
    assert "America/New_York | Mon 14:00 Europe/London" in first
    assert "moved from 2027-01-19 (Spring break)" in first
