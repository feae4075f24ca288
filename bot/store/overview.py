"""What a person's read-only commands show (`/checkin status`, `/goal list`, `/mentor list`),
read with one indexed statement and no ORM objects.

These commands are answered inside Slack's request, so their cost is the latency a person
sees. The statement is built once, at import: a UNION ALL of three branches — the person's
pairs as mentee, their pairs as mentor (each through its own index, with both members and the
pair's goals joined in), and the person alone, so someone without pairs is still found. The
person is found through the unique (workspace, Slack user) key of a workspace found by its
unique team ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    false,
    null,
    or_,
    select,
    union_all,
)

from bot.store.driver_reads import fetch_all
from bot.store.models import CadenceUnit, Goal, GoalStatus, Pair, PairState, Person, Workspace

_PEOPLE = Person.__table__
_PAIRS = Pair.__table__
_GOALS = Goal.__table__
_WORKSPACES = Workspace.__table__


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    slack_user_id: str
    tz: str | None


@dataclass(frozen=True, slots=True)
class GoalRow:
    number: int
    text: str
    due_on: date | None
    status: GoalStatus
    closed_at: datetime | None


@dataclass(slots=True)
class PairRow:
    id: int
    state: PairState
    mentee: Member
    mentor: Member
    cadence_unit: CadenceUnit
    cadence_interval: int
    cadence_weekday: int
    cadence_time: time
    next_prompt_at: datetime | None
    last_complete_checkin_at: datetime | None
    paused_until: date | None
    going_cold: bool
    goals: list[GoalRow] = field(default_factory=list)

    @property
    def mentee_id(self) -> int:
        return self.mentee.id

    @property
    def mentor_id(self) -> int:
        return self.mentor.id


@dataclass(frozen=True, slots=True)
class Overview:
    person: Member
    profile_refreshed_at: datetime | None
    pairs: Sequence[PairRow]


_PERSON_COLUMNS = (
    _PEOPLE.c.id.label("person_id"),
    _PEOPLE.c.slack_user_id.label("person_user"),
    _PEOPLE.c.tz.label("person_tz"),
    _PEOPLE.c.profile_refreshed_at.label("person_refreshed_at"),
)
_PAIR_FIELDS = (
    "id",
    "state",
    "mentee_id",
    "mentor_id",
    "cadence_unit",
    "cadence_interval",
    "cadence_weekday",
    "cadence_time",
    "next_prompt_at",
    "last_complete_checkin_at",
    "paused_until",
    "going_cold",
)
_GOAL_FIELDS = ("number", "text", "due_on", "status", "closed_at")


def _person_found() -> ColumnElement[bool]:
    return and_(
        _WORKSPACES.c.team_id == bindparam("team_id"),
        _PEOPLE.c.slack_user_id == bindparam("slack_user_id"),
    )


def _side(member_column: str, *, states: tuple[PairState, ...], with_goals: bool) -> Select[Any]:
    """The person's live pairs in which they are `member_column` (mentee_id or mentor_id)."""
    mentee = _PEOPLE.alias("mentee")
    mentor = _PEOPLE.alias("mentor")
    columns: list[Any] = [
        *_PERSON_COLUMNS,
        *(_PAIRS.c[name].label(f"pair_{name}") for name in _PAIR_FIELDS),
        mentee.c.slack_user_id.label("mentee_user"),
        mentee.c.tz.label("mentee_tz"),
        mentor.c.slack_user_id.label("mentor_user"),
        mentor.c.tz.label("mentor_tz"),
    ]
    joined = (
        _PEOPLE.join(_WORKSPACES, _WORKSPACES.c.id == _PEOPLE.c.workspace_id)
        .join(_PAIRS, _PAIRS.c[member_column] == _PEOPLE.c.id)
        .join(mentee, mentee.c.id == _PAIRS.c.mentee_id)
        .join(mentor, mentor.c.id == _PAIRS.c.mentor_id)
    )
    if with_goals:
        # Open goals, and done ones closed since `done_since`; dropped ones never show.
        wanted = or_(
            _GOALS.c.status == GoalStatus.OPEN,
            and_(
                _GOALS.c.status == GoalStatus.DONE,
                _GOALS.c.closed_at >= bindparam("done_since", type_=_GOALS.c.closed_at.type),
            ),
        )
        joined = joined.outerjoin(_GOALS, and_(_GOALS.c.pair_id == _PAIRS.c.id, wanted))
        columns += [_GOALS.c[name].label(f"goal_{name}") for name in _GOAL_FIELDS]
    return (
        select(*columns)
        .select_from(joined)
        # Equalities, not IN: an IN list is re-rendered into the SQL on every execution.
        .where(_person_found(), or_(false(), *(_PAIRS.c.state == state for state in states)))
    )


def _alone(*, with_goals: bool) -> Select[Any]:
    """The person on their own: found even with no pairs at all."""
    blanks = len(_PAIR_FIELDS) + 4 + (len(_GOAL_FIELDS) if with_goals else 0)
    return (
        select(*_PERSON_COLUMNS, *(null() for _ in range(blanks)))
        .select_from(_PEOPLE.join(_WORKSPACES, _WORKSPACES.c.id == _PEOPLE.c.workspace_id))
        .where(_person_found())
    )


@cache
def _statement(states: tuple[PairState, ...], *, with_goals: bool) -> CompoundSelect[Any]:
    """Built once per use: statements are cheap to run again, not to build."""
    # The first branch types the result columns (UTC datetimes, enums) for all three.
    return union_all(
        _side("mentee_id", states=states, with_goals=with_goals),
        _side("mentor_id", states=states, with_goals=with_goals),
        _alone(with_goals=with_goals),
    )


def overview_of(
    connection: Connection,
    *,
    team_id: str,
    slack_user_id: str,
    states: Sequence[PairState],
    done_since: datetime | None = None,
) -> Overview | None:
    """The person and their pairs in `states` (oldest first), with both members; with
    `done_since`, each pair's open goals and those done since then, by number. None when
    Rounds has not met the person in that workspace. Read on `connection`, so it sees what
    the caller's transaction has written."""
    statement, params = _query(team_id, slack_user_id, states, done_since)
    return _overview(connection.execute(statement, params), with_goals=done_since is not None)


def overview_read_directly(
    engine: Engine,
    *,
    team_id: str,
    slack_user_id: str,
    states: Sequence[PairState],
    done_since: datetime | None = None,
) -> Overview | None:
    """`overview_of`, read through the database driver outside any transaction (see
    bot.store.driver_reads): for the answer given inside Slack's request. Raises
    ReadFailedError when the driver could not read."""
    statement, params = _query(team_id, slack_user_id, states, done_since)
    return _overview(fetch_all(engine, statement, params), with_goals=done_since is not None)


def _query(
    team_id: str, slack_user_id: str, states: Sequence[PairState], done_since: datetime | None
) -> tuple[CompoundSelect[Any], dict[str, Any]]:
    params: dict[str, Any] = {"team_id": team_id, "slack_user_id": slack_user_id}
    if done_since is not None:
        params["done_since"] = done_since
    return _statement(tuple(states), with_goals=done_since is not None), params


def _overview(rows: Iterable[Sequence[Any]], *, with_goals: bool) -> Overview | None:
    person: Member | None = None
    refreshed_at: datetime | None = None
    pairs: dict[int, PairRow] = {}
    # By position (the statement's column order), not by name: this loop is on the path of
    # every read-only command.
    for row in rows:
        if person is None:
            person = Member(row[0], row[1], row[2])
            refreshed_at = row[3]
        pair_id = row[4]
        if pair_id is None:
            continue
        pair = pairs.get(pair_id)
        if pair is None:
            pair = pairs[pair_id] = PairRow(
                id=pair_id,
                state=PairState(row[5]),
                mentee=Member(row[6], row[16], row[17]),
                mentor=Member(row[7], row[18], row[19]),
                cadence_unit=CadenceUnit(row[8]),
                cadence_interval=row[9],
                cadence_weekday=row[10],
                cadence_time=row[11],
                next_prompt_at=row[12],
                last_complete_checkin_at=row[13],
                paused_until=row[14],
                going_cold=bool(row[15]),
            )
        if with_goals and row[20] is not None:
            pair.goals.append(
                GoalRow(
                    number=row[20],
                    text=row[21],
                    due_on=row[22],
                    status=GoalStatus(row[23]),
                    closed_at=row[24],
                )
            )
    if person is None:
        return None
    ordered = [pairs[pair_id] for pair_id in sorted(pairs)]
    for pair in ordered:
        pair.goals.sort(key=lambda goal: goal.number)
    return Overview(person=person, profile_refreshed_at=refreshed_at, pairs=ordered)
