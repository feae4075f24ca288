"""Importing a cohort from a CSV file: read it, check every line (a dry run), then create
the pairs as active, with their welcomes paced through the outbox.

The file is read here and never stored; a dry run keeps only what Import needs (Slack user
IDs, cadences, goal texts). Looking people up by e-mail is Slack's job: the caller passes
the answers in (`Resolved`), so this module knows no Slack.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from bot.domain import goals, pairs, people, phi_guard
from bot.domain.cadence import Cadence, WorkingHours, parse_cadence, zone
from bot.domain.errors import UserError
from bot.store import deliveries
from bot.store import imports as import_queries
from bot.store.models import CadenceUnit, DeliveryKind, ImportRun, Person, Workspace

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
COLUMNS = ("mentee", "mentor", "cadence", "goal")
REQUIRED = ("mentee", "mentor")
HEADER_EXAMPLE = "mentee,mentor,cadence,goal"
FILE_EXAMPLE = "Save the sheet as CSV with the header row mentee,mentor,cadence,goal"
# conversations.open is Tier 3 (about 50 a minute); welcomes take nine tenths of it, leaving
# room for the spaces people open themselves meanwhile. When those collide, Slack refuses an
# opening and the dispatcher holds every opening for Retry-After, spending no attempt.
WELCOMES_PER_MINUTE = 45
WELCOME_SPACING = timedelta(seconds=60 / WELCOMES_PER_MINUTE)

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_SLACK_ID = re.compile(r"^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$")
_ALIASES = {
    "mentee email": "mentee",
    "mentee_email": "mentee",
    "student": "mentee",
    "mentor email": "mentor",
    "mentor_email": "mentor",
}


class ImportFileError(UserError):
    """The whole file cannot be read as the expected CSV: nothing is imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message, example=FILE_EXAMPLE)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass(frozen=True)
class CsvLine:
    line: int  # the header is line 1
    mentee: str
    mentor: str
    cadence: str = ""
    goal: str = ""


@dataclass
class ParsedCsv:
    lines: list[CsvLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- reading the file -------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), UTF-16 with a BOM, or Windows-1252 — what
    spreadsheets save as "CSV"."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(
                "The file says it is UTF-16 but isn't readable as such."
            ) from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise ImportFileError(
                    "I can't read the file's text encoding. Save it as \"CSV UTF-8\"."
                ) from None
    if "\x00" in text:
        raise ImportFileError("That file is not a CSV (it looks like a binary file).")
    if not text.strip():
        raise ImportFileError(
            "The file is empty. The first line is the header, then one pair per line."
        )
    return text


def _delimiter(first_line: str) -> str:
    # Excel saves with semicolons where the comma is the decimal mark.
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _header(cells: Sequence[str]) -> list[str | None]:
    names: list[str | None] = []
    for cell in cells:
        name = " ".join(cell.strip().strip("\ufeff").lower().split())
        name = _ALIASES.get(name, name)
        names.append(name or None)
    unknown = [name for name in names if name is not None and name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in names]
    repeated = {name for name in names if name is not None and names.count(name) > 1}
    if unknown or missing or repeated:
        shown = ",".join(cell.strip() for cell in cells)
        raise ImportFileError(
            f"The first line must be the header `{HEADER_EXAMPLE}` (cadence and goal are "
            f"optional); it is `{shown[:200]}`."
        )
    return names


def read_csv(data: bytes) -> ParsedCsv:
    """The lines of a cohort CSV. Raises ImportFileError when the file as a whole is wrong."""
    text = decode(data)
    if text.count("\n") + 1 > MAX_LINES and len(text.splitlines()) > MAX_LINES:
        raise ImportFileError(
            f"The file has {len(text.splitlines()):,} lines; import at most {MAX_LINES:,} "
            "lines at a time (split the file)."
        )
    first_line = text.lstrip().split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    parsed = ParsedCsv()
    names: list[str | None] | None = None
    line_number = 0
    try:
        for cells in reader:
            start, line_number = line_number + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, often at the end of a sheet
            if names is None:
                if start != 1:
                    raise ImportFileError("The header must be on line 1.")
                names = _header(cells)
                continue
            extra = [cell for cell in cells[len(names) :] if cell.strip()]
            if extra:
                parsed.problems.append(Problem(start, "more columns than the header has"))
                continue
            values = {
                name: cell.strip()
                for name, cell in zip(names, cells, strict=False)
                if name is not None
            }
            parsed.lines.append(
                CsvLine(
                    line=start,
                    mentee=values.get("mentee", ""),
                    mentor=values.get("mentor", ""),
                    cadence=values.get("cadence", ""),
                    goal=values.get("goal", ""),
                )
            )
    except csv.Error as error:
        raise ImportFileError(f"Line {line_number + 1} is not valid CSV ({error}).") from None
    if names is None or (not parsed.lines and not parsed.problems):
        raise ImportFileError("The file has a header but no pairs. Add one pair per line.")
    return parsed


def person_ref(value: str) -> str | None:
    """An e-mail address (lower-cased) or a Slack user ID; None when it is neither."""
    value = value.strip()
    if _EMAIL.match(value):
        return value.lower()
    match = _SLACK_ID.match(value)
    return match[1] if match else None


def is_email(ref: str) -> bool:
    return "@" in ref


# --- the dry run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """What Slack says about one e-mail address or user ID."""

    slack_user_id: str | None  # None: nobody in the workspace has it
    tz: str | None = None
    name: str | None = None
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class PlannedPair:
    line: int
    mentee: str
    mentor: str
    mentee_tz: str | None
    mentor_tz: str | None
    mentee_name: str | None
    mentor_name: str | None
    cadence: dict[str, object] | None
    goal: str


@dataclass
class ImportCheck:
    new: list[PlannedPair] = field(default_factory=list)
    already: list[int] = field(default_factory=list)  # line numbers of pairs that exist
    problems: list[Problem] = field(default_factory=list)

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda problem: problem.line)


def refs_to_look_up(parsed: ParsedCsv) -> list[str]:
    """Every distinct e-mail and user ID in the file, once (the per-import cache)."""
    refs = {person_ref(value) for line in parsed.lines for value in (line.mentee, line.mentor)}
    return sorted(ref for ref in refs if ref is not None)


def _cadence(text: str, hours: WorkingHours) -> dict[str, object] | None:
    if not text:
        return None
    cadence = parse_cadence(text, current=pairs.DEFAULT_CADENCE, hours=hours)
    return {
        "unit": cadence.unit.value,
        "interval": cadence.interval,
        "weekday": cadence.weekday,
        "at": cadence.at.strftime("%H:%M"),
    }


def check_import(
    session: Session,
    *,
    workspace_id: int,
    parsed: ParsedCsv,
    resolved: Mapping[str, Resolved],
    default_capacity: int,
    hours: WorkingHours,
) -> ImportCheck:
    """Sort every line into new pair, already paired, or a problem with its line number.
    Reads the database, changes nothing."""
    check = ImportCheck(problems=list(parsed.problems))
    user_ids = {r.slack_user_id for r in resolved.values() if r.slack_user_id}
    known = import_queries.people_by_slack_id(
        session, workspace_id=workspace_id, slack_user_ids=user_ids
    )
    person_ids = [person.id for person in known.values()]
    existing = import_queries.live_pairs_among(
        session, person_ids=person_ids, states=pairs.LIVE_STATES
    )
    load = import_queries.mentee_counts(
        session, mentor_ids=person_ids, states=pairs.CAPACITY_STATES
    )
    planned_load: dict[str, int] = {}
    seen: dict[tuple[str, str], int] = {}

    def who(role: str, value: str) -> Resolved | str:
        ref = person_ref(value)
        if not value:
            return f"no {role} given"
        if ref is None:
            return f"{role} {value!r} is not an e-mail address or a Slack user ID"
        found = resolved.get(ref)
        if found is None or found.slack_user_id is None:
            what = "e-mail" if is_email(ref) else "Slack user ID"
            return f"unknown {what} {value} ({role}): nobody in this workspace has it"
        if found.is_bot:
            return f"{role} {value} is a bot"
        if found.deleted:
            return f"{role} {value} has left the workspace"
        return found

    for line in parsed.lines:
        mentee, mentor = who("mentee", line.mentee), who("mentor", line.mentor)
        if isinstance(mentee, str) or isinstance(mentor, str):
            reasons = [r for r in (mentee, mentor) if isinstance(r, str)]
            check.problems.append(Problem(line.line, "; ".join(reasons)))
            continue
        assert mentee.slack_user_id is not None and mentor.slack_user_id is not None
        key = (mentee.slack_user_id, mentor.slack_user_id)
        if key[0] == key[1]:
            check.problems.append(Problem(line.line, "mentee and mentor are the same person"))
            continue
        if key in seen:
            check.problems.append(
                Problem(line.line, f"duplicate line (same pair as line {seen[key]})")
            )
            continue
        seen[key] = line.line
        try:
            cadence = _cadence(line.cadence, hours)
            goal = goals.check_goal_text(line.goal) if line.goal.strip() else ""
        except UserError as problem:
            field_name = "cadence" if line.cadence and "oal" not in problem.message else "goal"
            check.problems.append(Problem(line.line, f"bad {field_name}: {problem.message}"))
            continue
        findings = phi_guard.scan(goal)
        if findings:
            # A file has no "Post anyway": the coordinator edits the line and imports again.
            check.problems.append(
                Problem(
                    line.line,
                    f"the goal may contain patient information ({phi_guard.describe(findings)})"
                    "; reword it in the file",
                )
            )
            continue
        mentee_person, mentor_person = known.get(key[0]), known.get(key[1])
        if (
            mentee_person is not None
            and mentor_person is not None
            and (
                (mentee_person.id, mentor_person.id) in existing
                or (mentor_person.id, mentee_person.id) in existing
            )
        ):
            check.already.append(line.line)
            continue
        capacity = (
            pairs.mentor_capacity(mentor_person, default=default_capacity)
            if mentor_person is not None
            else default_capacity
        )
        current = load.get(mentor_person.id, 0) if mentor_person is not None else 0
        if current + planned_load.get(key[1], 0) >= capacity:
            check.problems.append(
                Problem(line.line, f"mentor {line.mentor} is at capacity ({capacity} mentees)")
            )
            continue
        planned_load[key[1]] = planned_load.get(key[1], 0) + 1
        check.new.append(
            PlannedPair(
                line=line.line,
                mentee=key[0],
                mentor=key[1],
                mentee_tz=mentee.tz,
                mentor_tz=mentor.tz,
                mentee_name=mentee.name,
                mentor_name=mentor.name,
                cadence=cadence,
                goal=goal,
            )
        )
    return check


Lookup = Callable[[Sequence[str]], Mapping[str, Resolved]]


def dry_run(
    session: Session,
    *,
    workspace: Workspace,
    coordinator: Person,
    file_name: str,
    data: bytes,
    look_up: Lookup,
    default_capacity: int,
    hours: WorkingHours,
    configured: Sequence[str] | frozenset[str],
    now: datetime,
) -> tuple[ImportRun, ImportCheck]:
    """Read and check the file; keep the plan for Import. Raises ImportFileError."""
    people.require_coordinator(coordinator, configured=configured, action="import pairs")
    parsed = read_csv(data)
    resolved = look_up(refs_to_look_up(parsed))
    check = check_import(
        session,
        workspace_id=workspace.id,
        parsed=parsed,
        resolved=resolved,
        default_capacity=default_capacity,
        hours=hours,
    )
    run = import_queries.save_run(
        session,
        workspace_id=workspace.id,
        coordinator_id=coordinator.id,
        file_name=file_name,
        plan=json.dumps([asdict(pair) for pair in check.new]),
        now=now,
    )
    return run, check


# --- the import -------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    skipped: list[Problem] = field(default_factory=list)  # changed since the dry run
    first_welcome_at: datetime | None = None
    last_welcome_at: datetime | None = None


def _planned(run: ImportRun) -> list[PlannedPair]:
    return [PlannedPair(**item) for item in json.loads(run.plan or "[]")]


def _member(
    session: Session, workspace: Workspace, slack_user_id: str, tz: str | None, name: str | None
) -> Person:
    person = people.person_for(session, workspace=workspace, slack_user_id=slack_user_id)
    person.tz = person.tz or tz
    person.display_name = person.display_name or (name[:120] if name else None)
    return person


def apply_import(
    session: Session,
    *,
    run_id: int,
    coordinator: Person,
    default_capacity: int,
    hours: WorkingHours,
    configured: Sequence[str] | frozenset[str],
    now: datetime,
) -> ImportResult:
    """Create the dry run's pairs as active and plan their welcomes, paced to Slack's limit.
    A pair that appeared (or a mentor who filled up) since the dry run is skipped."""
    people.require_coordinator(coordinator, configured=configured, action="import pairs")
    run = import_queries.run_for_update(session, run_id=run_id)
    if run is None or run.workspace_id != coordinator.workspace_id:
        raise UserError(
            "That import is out of date; upload the file again.", example="/mentor import"
        )
    if run.imported_at is not None:
        raise UserError(
            f"This file was already imported ({run.created_pairs} pairs); importing it again "
            "would create nothing.",
            example="/mentor import",
        )
    workspace = coordinator.workspace
    result = ImportResult()
    latest = deliveries.latest_due_of_kind(
        session, kind=DeliveryKind.WELCOME, workspace_id=workspace.id
    )
    next_welcome = max(now, latest + WELCOME_SPACING) if latest is not None else now
    for planned in _planned(run):
        mentee = _member(session, workspace, planned.mentee, planned.mentee_tz, planned.mentee_name)
        mentor = _member(session, workspace, planned.mentor, planned.mentor_tz, planned.mentor_name)
        try:
            with session.begin_nested():
                pair = pairs.pair_directly(
                    session,
                    mentee=mentee,
                    mentor=mentor,
                    default_capacity=default_capacity,
                    hours=hours,
                    now=now,
                )
                if planned.cadence:
                    pairs.set_cadence(
                        pair, cadence=_cadence_of(planned.cadence), hours=hours, now=now
                    )
                if planned.goal:
                    goals.add_goal(
                        session,
                        pair=pair,
                        text=planned.goal,
                        due_on=None,
                        today=now.astimezone(zone(mentee.tz)).date(),
                        now=now,
                    )
        except UserError as problem:
            result.skipped.append(Problem(planned.line, problem.message))
            continue
        deliveries.add_delivery(
            session,
            pair_id=pair.id,
            kind=DeliveryKind.WELCOME,
            period="welcome",
            due_at=next_welcome,
            now=now,
        )
        result.first_welcome_at = result.first_welcome_at or next_welcome
        result.last_welcome_at = next_welcome
        next_welcome += WELCOME_SPACING
        result.created += 1
    run.imported_at = now
    run.created_pairs = result.created
    run.plan = "[]"  # the plan has served; keep the minimum
    return result


def _cadence_of(stored: Mapping[str, object]) -> Cadence:
    hour, minute = (int(part) for part in str(stored["at"]).split(":"))
    return Cadence(
        unit=CadenceUnit(str(stored["unit"])),
        interval=int(str(stored["interval"])),
        weekday=int(str(stored["weekday"])),
        at=time(hour, minute),
    )
