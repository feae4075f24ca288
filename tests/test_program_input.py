"""Program tools refuse bad input clearly and change nothing: files, dates, calendars, people."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.blocks.home import Program, home_view
from bot.config import ConfigError, Settings, settings_from
from bot.domain.errors import UserError
from bot.domain.program import imports
from bot.domain.program.attention import Attention, AttentionItem, Reason
from bot.domain.program.calendar import WorkingCalendar, parse_blackout
from bot.domain.program.ics import read_ics
from bot.service import Database
from bot.store.models import Blackout, ImportRun, Pair
from sandbox.fake_slack import FakeSlack
from tests.slack_requests import SlackSender
from tests.test_journey import command_text
from tests.test_program import COORDINATOR, dry_run

REPO = Path(__file__).resolve().parents[1]
HEADER = "mentee,mentor\n"


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"mentee,mentor\n", "no pairs"),
        (b"student,teacher\na@x.org,b@x.org\n", "header"),
        (b"mentee,mentor,notes\na@x.org,b@x.org,hi\n", "header"),
        (b"PK\x03\x04\x00\x00binary", "not a CSV"),
        (b"x" * (imports.MAX_BYTES + 1), "limit is 2 MB"),
        ((HEADER + "a@x.org,b@x.org\n" * 5000).encode(), "at most 5,000"),
    ],
)
def test_a_file_that_is_not_the_expected_csv_is_refused_whole(data: bytes, complaint: str) -> None:
    with pytest.raises(imports.ImportFileError) as refused:
        imports.read_csv(data)
    assert complaint in refused.value.message


@pytest.mark.parametrize(
    "data",
    [
        "mentee,mentor\nrené@med.example,b@x.org\n".encode(),
        "mentee,mentor\nrené@med.example,b@x.org\n".encode("utf-8-sig"),
        "mentee,mentor\r\nrené@med.example,b@x.org\r\n".encode("cp1252"),  # Excel on Windows
        "mentee;mentor\r\nrené@med.example;b@x.org\r\n".encode("cp1252"),  # semicolon locales
        "mentee\tmentor\r\nrené@med.example\tb@x.org\r\n".encode("utf-16"),  # Unicode text
        "Mentee , MENTOR\n\nrené@med.example , b@x.org\n\n".encode(),
    ],
)
def test_spreadsheet_encodings_and_layouts_are_read(data: bytes) -> None:
    (line,) = imports.read_csv(data).lines
    assert (line.mentee, line.mentor) == ("rené@med.example", "b@x.org")
    assert line.line in (2, 3)  # the header is line 1; a blank line keeps the numbering


def test_line_numbers_count_the_header_and_blank_lines() -> None:
    parsed = imports.read_csv(b"mentee,mentor\n\na@x.org,b@x.org\nc@x.org,d@x.org,extra\n")
    assert [line.line for line in parsed.lines] == [3]
    assert [(problem.line, problem.message) for problem in parsed.problems] == [
        (4, "more columns than the header has")
    ]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("2027-03-19..2027-03-15 Spring break", "before it starts"),
        ("2027-02-30 Exam", "not a date"),
        ("2027-03-15..2027-03-19", "Name the blackout"),
        ("next week Spring break", "Give a date"),
        ("2027-01-01..2028-06-01 Forever", "up to a year"),
    ],
)
def test_a_malformed_date_range_is_refused(text: str, complaint: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_blackout(text)
    assert complaint in refused.value.message


def test_an_ics_that_is_not_one_is_refused() -> None:
    for data in (b"mentee,mentor\n", b"BEGIN:VCALENDAR\nthis is not ical at all\x00"):
        with pytest.raises(UserError):
            read_ics(data, today=date(2027, 1, 5))


def test_working_days_skip_blackouts() -> None:
    spring = {date(2027, 3, day): "Spring break" for day in range(15, 20)}
    calendar = WorkingCalendar(spring)
    # A prompt on Friday the 12th: three working days on is Wednesday the 24th, not the 17th.
    assert calendar.add_working_days(date(2027, 3, 12), 3) == date(2027, 3, 24)
    assert calendar.first_working_day_from(date(2027, 3, 16)) == date(2027, 3, 22)


def test_an_unknown_holiday_country_stops_start_up() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1-2", "SLACK_APP_TOKEN": "xapp-1-2"}
    assert settings_from({**env, "ROUNDS_HOLIDAYS": "us-ca"}).holidays == "US-CA"
    with pytest.raises(ConfigError, match="ROUNDS_HOLIDAYS"):
        settings_from({**env, "ROUNDS_HOLIDAYS": "XX"})


def test_the_home_tab_stays_inside_100_blocks_at_1000_pairs() -> None:
    items = [
        AttentionItem(Reason.GOING_COLD, n, f"U1{n:05d}", f"U2{n:05d}", 30, None)
        for n in range(1000)
    ]
    attention = Attention(counts={Reason.GOING_COLD: 1000}, items=items)
    view = home_view(
        pairs=[],
        recent=[],
        program=Program(
            active=1000, paused=0, pending=0, checkins_last_30_days=0, attention=attention
        ),
    )
    blocks = view["blocks"]
    assert isinstance(blocks, list) and len(blocks) <= 100
    shown = json.dumps(blocks)
    assert "and 9" in shown and "Import pairs" in shown  # "…and N more", then the tools


@pytest.mark.parametrize(
    "text",
    ["import", "export", "calendar add 2027-03-15 Exams", "calendar list", "digest off"],
)
def test_only_coordinators_use_program_tools(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, text: str
) -> None:
    shown = command_text(slack, "/mentor", text, user="U0STUDENT")
    assert "Only program coordinators" in shown
    assert not fake_slack.calls_to("views.open") and not fake_slack.uploaded_files()
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Blackout)) == 0


def test_bad_calendar_commands_are_answered_with_an_example(
    slack: SlackSender, database: Database
) -> None:
    for text, complaint in [
        ("calendar add 2027-03-19..2027-03-15 Break", "before it starts"),
        ("calendar remove 4", "no blackouts"),
        ("calendar", "calendar add"),
        ("digest sometimes", "`on` or `off`"),
    ]:
        shown = command_text(slack, "/mentor", text, user=COORDINATOR)
        assert complaint in shown and "For example" in shown
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Blackout)) == 0


def test_a_bad_upload_says_why_in_the_form_and_keeps_nothing(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    shown = json.dumps(dry_run(slack, fake_slack, b"name,email\nSam,sam@x.org\n"))
    assert "The first line must be the header" in shown
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0
        assert session.scalar(select(func.count()).select_from(Pair)) == 0


def run_jobs(*args: str, settings: Settings, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_API_URL": settings.slack_api_url,
        "DATABASE_URL": settings.database_url,
        "ROUNDS_COORDINATORS": ",".join(settings.coordinators),
    }
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_twins(
    settings: Settings, fake_slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    fake_slack.add_user("U0SAM", email="sam@med.example")
    fake_slack.add_user("U0PATEL", email="patel@med.example", tz="America/Chicago")
    cohort = tmp_path / "cohort.csv"
    cohort.write_bytes(b"mentee,mentor\nsam@med.example,patel@med.example\nnobody@x.org,U0PATEL\n")

    checked = run_jobs(
        "import", str(cohort), "--by", COORDINATOR, "--dry-run", settings=settings, cwd=tmp_path
    )
    assert checked.returncode == 0, checked.stderr
    assert "1 new pairs" in checked.stdout and "line 3: unknown e-mail" in checked.stdout
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Pair)) == 0

    refused = run_jobs("import", str(cohort), "--by", "U0SAM", settings=settings, cwd=tmp_path)
    assert refused.returncode == 1 and "not a coordinator" in refused.stderr
    assert "Traceback" not in refused.stderr

    done = run_jobs("import", str(cohort), "--by", COORDINATOR, settings=settings, cwd=tmp_path)
    assert done.returncode == 0 and "Imported 1 pairs" in done.stdout
    again = run_jobs("import", str(cohort), "--by", COORDINATOR, settings=settings, cwd=tmp_path)
    assert "0 new pairs, 1 already paired" in again.stdout

    out = tmp_path / "pairs.csv"
    exported = run_jobs("export", "--out", str(out), settings=settings, cwd=tmp_path)
    assert exported.returncode == 0 and "Exported 1 pairs" in exported.stdout
    assert out.read_bytes().decode("utf-8-sig").startswith("mentee,mentor,state,started")

    wrong = tmp_path / "header.csv"
    wrong.write_text("who,whom\na,b\n")
    bad = run_jobs("import", str(wrong), "--by", COORDINATOR, settings=settings, cwd=tmp_path)
    assert bad.returncode == 1 and "header" in bad.stderr and "Traceback" not in bad.stderr

    ics = tmp_path / "school.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:a\r\n"
        "DTSTART;VALUE=DATE:20270301\r\nDTEND;VALUE=DATE:20270302\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"
        "SUMMARY:Block exam\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    added = run_jobs("calendar", "import", str(ics), settings=settings, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "3 blackouts read, 3 new" in added.stdout  # the weekly exam, expanded
    not_ics = run_jobs("calendar", "import", str(cohort), settings=settings, cwd=tmp_path)
    assert not_ics.returncode == 1 and "not an .ics" in not_ics.stderr


def test_a_goal_with_patient_information_is_a_problem_line_and_is_never_shown_or_kept(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    for user, email in [("U0ANA", "ana@med.example"), ("U0BEN", "ben@med.example")]:
        fake_slack.add_user(user, email=email)
    fake_slack.add_user("U0DRQ", email="dr.q@med.example")
    content = (
        b"mentee,mentor,cadence,goal\n"
        b"ana@med.example,dr.q@med.example,,Follow up on MRN 00482913 with the team\n"
        b"ben@med.example,dr.q@med.example,,Present a case at grand rounds\n"
    )
    view = dry_run(slack, fake_slack, content)
    shown = json.dumps(view)
    assert "line 2:" in shown and "patient information (a medical record number)" in shown
    assert "00482913" not in shown
    assert "New pairs: *1*" in shown
    with database.sessions() as session:
        runs = session.scalars(select(ImportRun)).all()
        assert runs and all("00482913" not in run.plan for run in runs)
