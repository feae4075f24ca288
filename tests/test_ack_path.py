"""Read-only commands are answered inside Slack's request: no trip through the listener pool,
one indexed query when Rounds knows the person, and no Slack call. Writes still ack first."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from bot import web
from bot.domain import goals, pairs
from bot.domain.cadence import WorkingHours
from bot.service import Database, Service
from bot.store import overview as overview_store
from bot.store.driver_reads import fetch_all
from bot.store.models import GoalStatus, Pair, PairState, Person
from bot.store.overview import overview_of, overview_read_directly
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair, make_person
from tests.slack_requests import TEAM_ID, SlackSender

STUDENT, MENTOR, MENTEE_OF_STUDENT = "U0ACKSTUDENT", "U0ACKMENTOR", "U0ACKJUNIOR"


class RecordingExecutor(Executor):
    """The listener pool, counting what is handed to it."""

    def __init__(self, real: Executor) -> None:
        self.real = real
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return self.real.submit(fn, *args, **kwargs)


@pytest.fixture
def pool(service: Service) -> RecordingExecutor:
    runner = service.app.listener_runner
    recording = RecordingExecutor(runner.listener_executor)
    runner.listener_executor = recording
    return recording


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def queries(self) -> list[str]:
        """What the database was asked, leaving out transaction control and pings."""
        words = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
        return [s for s in self.statements if s.lstrip().upper().startswith(words)]


@pytest.fixture
def statements(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[StatementLog]:
    """Every statement: through SQLAlchemy, and the reads run through the driver directly."""
    log = StatementLog()

    def record(*args: Any) -> None:
        log.statements.append(args[2])

    def record_direct(engine: Engine, statement: Any, params: Any) -> Any:
        log.statements.append(str(statement.compile(dialect=engine.dialect)))
        return fetch_all(engine, statement, params)

    monkeypatch.setattr(overview_store, "fetch_all", record_direct)
    event.listen(database.engine, "before_cursor_execute", record)
    yield log
    event.remove(database.engine, "before_cursor_execute", record)


def _warm(database: Database, *users: str) -> None:
    """Profiles Slack confirmed a moment ago: nothing to refresh before answering."""
    with database.sessions.begin() as session:
        for user in users:
            make_person(session, user, profile_refreshed_at=datetime.now(UTC))


@pytest.fixture
def student(database: Database) -> str:
    """A student with a mentor and two goals, who also mentors a junior student."""
    make_pair(database, mentee=STUDENT, mentor=MENTOR)
    make_pair(database, mentee=MENTEE_OF_STUDENT, mentor=STUDENT)
    with database.sessions.begin() as session:
        pair = session.query(Pair).filter(Pair.mentor.has(slack_user_id=MENTOR)).one()
        for text in ("Shadow a clinic", "Draft my personal statement"):
            goals.add_goal(
                session,
                pair=pair,
                text=text,
                due_on=None,
                today=datetime.now(UTC).date(),
                now=datetime.now(UTC),
            )
    _warm(database, STUDENT, MENTOR, MENTEE_OF_STUDENT)
    return STUDENT


READ_ONLY = [
    ("/checkin", "status", "Shadow a clinic"),
    ("/goal", "list", "Draft my personal statement"),
    ("/mentor", "list", f"<@{MENTEE_OF_STUDENT}>"),
]
HELP = [("/mentor", "help"), ("/goal", "help"), ("/checkin", "help"), ("/mentor", "")]


@pytest.mark.parametrize(("command", "text", "shown"), READ_ONLY)
def test_a_read_only_command_is_answered_in_the_request_with_one_query_and_no_slack_call(
    slack: SlackSender,
    fake_slack: FakeSlack,
    pool: RecordingExecutor,
    statements: StatementLog,
    student: str,
    command: str,
    text: str,
    shown: str,
) -> None:
    calls_before = len(fake_slack.calls)
    statements.statements.clear()
    reply, _ = slack.command(command, text, user=student)
    assert reply.status == 200
    assert shown in str(reply.json)
    assert pool.submitted == 0  # never handed to the listener pool
    assert len(statements.queries) == 1, statements.queries
    assert fake_slack.calls[calls_before:] == []


@pytest.mark.parametrize(("command", "text"), HELP)
def test_help_is_answered_in_the_request_without_the_database(
    slack: SlackSender, pool: RecordingExecutor, statements: StatementLog, command: str, text: str
) -> None:
    reply, _ = slack.command(command, text, user=STUDENT)
    assert reply.status == 200 and "/mentor request" in reply.json["text"]
    assert pool.submitted == 0
    assert statements.queries == []


def test_a_write_still_acknowledges_first_through_the_pool(
    slack: SlackSender, fake_slack: FakeSlack, pool: RecordingExecutor, student: str
) -> None:
    reply, _ = slack.command("/goal", "add Present at grand rounds", user=student)
    assert reply.status == 200
    assert pool.submitted == 1
    assert "Which one" not in reply.text and "Goal 3 added" in reply.json["text"]


def test_someone_new_goes_through_the_pool_and_is_met_before_the_answer(
    slack: SlackSender, fake_slack: FakeSlack, pool: RecordingExecutor, database: Database
) -> None:
    reply, _ = slack.command("/mentor", "list", user="U0NEWCOMER")
    assert "no pairs yet" in reply.json["text"]
    assert pool.submitted == 1  # Slack is asked first, so the ack deadline applies
    assert [call.args["user"] for call in fake_slack.calls_to("users.info")] == ["U0NEWCOMER"]
    with database.sessions() as session:
        assert (
            session.query(Person).filter_by(slack_user_id="U0NEWCOMER").one().profile_refreshed_at
        )


def test_a_stale_profile_is_refreshed_once_then_served_from_the_cache(
    slack: SlackSender,
    fake_slack: FakeSlack,
    pool: RecordingExecutor,
    database: Database,
    student: str,
) -> None:
    fake_slack.add_user(STUDENT, tz="Asia/Kolkata")
    with database.sessions.begin() as session:
        me = session.query(Person).filter_by(slack_user_id=STUDENT).one()
        me.profile_refreshed_at = datetime.now(UTC) - timedelta(days=2)
    for _ in range(2):
        reply, _ = slack.command("/checkin", "status", user=student)
        assert "Shadow a clinic" in reply.json["text"] + str(reply.json["blocks"])
    assert len(fake_slack.calls_to("users.info")) == 1
    assert pool.submitted == 1  # the refresh went through the pool; then within the request
    with database.sessions() as session:
        assert session.query(Person).filter_by(slack_user_id=STUDENT).one().tz == "Asia/Kolkata"


def test_many_asking_at_once_are_all_answered_and_a_newcomer_does_not_hold_up_the_rest(
    slack: SlackSender, fake_slack: FakeSlack, pool: RecordingExecutor, student: str
) -> None:
    """In-request answers take turns (listeners/turns.py); one that must go to the pool
    hands its turn on."""
    asks = [("/checkin", "status", student, "Shadow a clinic")] * 12 + [
        ("/mentor", "list", "U0NEWCOMER", "no pairs yet")
    ]
    with ThreadPoolExecutor(max_workers=len(asks)) as requests:
        replies = list(
            requests.map(lambda ask: slack.command(ask[0], ask[1], user=ask[2])[0], asks)
        )
    for reply, (_, _, _, shown) in zip(replies, asks, strict=True):
        assert reply.status == 200 and shown in str(reply.json)
    assert pool.submitted == 1  # only the newcomer, whom Slack is asked about first


# --- the overview query, on its own ---------------------------------------------------------


def test_the_overview_holds_both_sides_their_members_and_only_the_goals_shown(
    database: Database,
) -> None:
    now = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    as_mentee = make_pair(database, mentee=STUDENT, mentor=MENTOR, now=now)
    as_mentor = make_pair(
        database, mentee=MENTEE_OF_STUDENT, mentor=STUDENT, now=now, mentee_tz="Europe/Berlin"
    )
    ended = make_pair(database, mentee=STUDENT, mentor="U0FORMER", now=now)
    with database.sessions.begin() as session:
        pair = session.get(Pair, as_mentee)
        assert pair is not None
        made = [
            goals.add_goal(
                session, pair=pair, text=f"Goal {n}", due_on=None, today=now.date(), now=now
            )
            for n in range(1, 5)
        ]
        made[1].status, made[1].closed_at = GoalStatus.DONE, now - timedelta(days=10)
        made[2].status, made[2].closed_at = GoalStatus.DONE, now - timedelta(days=200)
        made[3].status, made[3].closed_at = GoalStatus.DROPPED, now - timedelta(days=1)
        former = session.get(Pair, ended)
        assert former is not None
        pairs.end(former, actor=former.mentee, now=now)
        # The same Slack user ID in another workspace is someone else.
        pairs.pair_directly(
            session,
            mentee=_person_in(session, "T0OTHER", STUDENT),
            mentor=_person_in(session, "T0OTHER", "U0ELSEWHERE"),
            default_capacity=5,
            hours=WorkingHours(),
            now=now,
        )
    with database.sessions() as session:
        found = overview_of(
            session.connection(),
            team_id=TEAM_ID,
            slack_user_id=STUDENT,
            states=pairs.LIVE_STATES,
            done_since=now - timedelta(days=90),
        )
        bare = overview_of(
            session.connection(), team_id=TEAM_ID, slack_user_id=STUDENT, states=(PairState.PAUSED,)
        )
        nobody = overview_of(
            session.connection(), team_id=TEAM_ID, slack_user_id="U0NOBODY", states=()
        )
    assert found is not None and bare is not None and nobody is None
    assert [pair.id for pair in found.pairs] == [as_mentee, as_mentor]
    mine, theirs = found.pairs
    assert (mine.mentee.slack_user_id, mine.mentor.slack_user_id) == (STUDENT, MENTOR)
    assert (theirs.mentee.tz, theirs.mentor_id) == ("Europe/Berlin", found.person.id)
    assert [(goal.number, goal.status) for goal in mine.goals] == [
        (1, GoalStatus.OPEN),
        (2, GoalStatus.DONE),
    ]
    assert theirs.goals == [] and mine.state is PairState.ACTIVE
    assert bare.person == found.person and bare.pairs == []
    # Read through the driver, as within Slack's request: the same, value for value.
    for asked, answer in [
        (dict(states=pairs.LIVE_STATES, done_since=now - timedelta(days=90)), found),
        (dict(states=(PairState.PAUSED,)), bare),
    ]:
        direct = overview_read_directly(
            database.engine, team_id=TEAM_ID, slack_user_id=STUDENT, **asked
        )
        assert direct == answer
        assert direct is not None and direct.profile_refreshed_at == found.profile_refreshed_at
    assert (
        overview_read_directly(
            database.engine, team_id=TEAM_ID, slack_user_id="U0NOBODY", states=()
        )
        is None
    )
    assert all(
        moment is None or moment.tzinfo is UTC
        for pair in found.pairs
        for moment in (pair.next_prompt_at, pair.last_complete_checkin_at)
    )


def _person_in(session: Any, team_id: str, slack_user_id: str) -> Person:
    from bot.domain import people

    workspace = people.workspace_for(session, team_id=team_id)
    return people.person_for(session, workspace=workspace, slack_user_id=slack_user_id)


# --- when the database drops the connection ---------------------------------------------------


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_connection_the_database_dropped_costs_the_answer_nothing(
    slack: SlackSender,
    pool: RecordingExecutor,
    database: Database,
    database_url: str,
    student: str,
) -> None:
    """The in-request read trusts a connection used a moment ago (no ping). When the server
    has dropped it (a restart, a failover), the read gives way: the command is answered
    after the ack instead, on a fresh connection, not on another the server dropped too."""
    reply, _ = slack.command("/checkin", "status", user=student)
    assert "Shadow a clinic" in str(reply.json) and pool.submitted == 0
    with ExitStack() as several:  # the pool keeps a few connections, all just used
        for _ in range(3):
            several.enter_context(database.engine.connect()).execute(text("SELECT 1"))
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        dropped = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    assert dropped >= 1
    for _ in range(2):
        reply, _ = slack.command("/checkin", "status", user=student)
        assert reply.status == 200 and "Shadow a clinic" in str(reply.json)
    assert pool.submitted == 1  # only the first, after the ack; the next is answered at once


# --- how the web layer tells a read-only command ----------------------------------------------


@pytest.mark.parametrize(
    ("form", "in_request"),
    [
        ("command=%2Fcheckin&text=status&user_id=U1", True),
        ("token=x&command=%2Fgoal&text=+List++&team_id=T1", True),
        ("command=%2Fmentor&text=help", True),
        ("command=%2Fmentor&text=", True),  # `/mentor` alone is its help
        ("command=%2Fgoal&text=add+list", False),
        ("command=%2Fgoal&text=list%26more", False),  # an encoded & stays in the text
        ("text=status&user_id=U1", False),  # not a slash command
        ("payload=%7B%22type%22%3A%22block_actions%22%7D", False),
    ],
)
def test_the_web_layer_finds_read_only_commands_in_the_form(form: str, in_request: bool) -> None:
    body = form.encode()
    environ = {
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    assert web._answered_within_request(environ) is in_request
    assert environ["wsgi.input"].read() == body  # put back whole for Bolt
