"""One live pair per two people, whichever direction, and a mentor's capacity, under races.

The races are played with two threads and two sessions: each thread does its part and then
waits at a barrier before committing. Without a lock both reach the barrier and both commit;
with one, the second waits for the first, the barrier times out (which only costs time) and
the second then sees what the first did. So the outcome never depends on timing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import pairs
from bot.domain.cadence import WorkingHours
from bot.domain.errors import UserError
from bot.service import Database
from bot.store.migrate import alembic_config, upgrade_to_head
from bot.store.models import Pair, PairState, Person
from sandbox.fake_slack import FakeSlack
from tests.factories import make_person
from tests.slack_requests import SlackSender
from tests.test_journey import command_text

STUDENT, MENTOR, OTHER_STUDENT, COORDINATOR = "U0STUDENT", "U0MENTOR", "U0STUDENT2", "UCOORD"
NOW = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
LIVE = [PairState.PENDING, PairState.ACTIVE, PairState.PAUSED]
# How long the first thread waits for the second at the barrier when the second is (rightly)
# blocked by a lock. Only the duration of the test depends on it, never its outcome.
BARRIER_WAIT = 2.0


def live_pairs(database: Database) -> list[Pair]:
    with database.sessions() as session:
        found = session.execute(select(Pair).where(Pair.state.in_(LIVE))).scalars().all()
        session.expunge_all()
        return list(found)


def people(database: Database, *slack_user_ids: str, **fields: object) -> list[int]:
    with database.sessions.begin() as session:
        made = [make_person(session, uid, **fields) for uid in slack_user_ids]
        session.flush()
        return [person.id for person in made]


def race(database: Database, *steps: Callable[[Session], None]) -> list[BaseException | None]:
    """Run each step in its own thread and session; all commit after a shared barrier.
    Returns what each step raised (None when it committed)."""
    barrier = threading.Barrier(len(steps))
    outcomes: list[BaseException | None] = [None] * len(steps)

    def run(index: int, step: Callable[[Session], None]) -> None:
        try:
            with database.sessions() as session:
                step(session)
                session.flush()
                # Broken: the other thread is waiting for our lock. Go on and commit.
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=BARRIER_WAIT)
                session.commit()
        except BaseException as error:  # reported to the test, never swallowed
            outcomes[index] = error
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a racing thread never finished"
    return outcomes


# --- item 8: crossing requests -----------------------------------------------------------------


def test_a_crossing_request_is_told_to_accept_the_other_one(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    assert "Your request went to" in command_text(
        slack, "/mentor", f"request <@{MENTOR}> hi", user=STUDENT
    )
    shown = command_text(slack, "/mentor", f"request <@{STUDENT}> hi", user=MENTOR)
    assert f"<@{STUDENT}> already asked you" in shown and "accept their request" in shown
    assert len(live_pairs(database)) == 1
    # Asking the same person twice says so, too.
    again = command_text(slack, "/mentor", f"request <@{MENTOR}> hi", user=STUDENT)
    assert f"You already asked <@{MENTOR}>" in again
    # And every command between the two still works, a coordinator's end included.
    ended = command_text(slack, "/mentor", f"end <@{STUDENT}> <@{MENTOR}>", user=COORDINATOR)
    assert "pair_end_confirm" in ended


def test_the_database_refuses_a_second_live_pair_in_either_direction(database: Database) -> None:
    a, b = people(database, STUDENT, MENTOR)
    with database.engine.begin() as connection:
        connection.execute(insert(Pair.__table__).values(_row(mentee=a, mentor=b, state="pending")))
        # History in the other direction is fine.
        connection.execute(insert(Pair.__table__).values(_row(mentee=b, mentor=a, state="ended")))
    for state in ("pending", "active", "paused"):
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(insert(Pair.__table__).values(_row(mentee=b, mentor=a, state=state)))


def test_crossing_requests_at_the_same_moment_leave_one_live_pair(database: Database) -> None:
    student_id, mentor_id = people(database, STUDENT, MENTOR)

    def ask(mentee_id: int, mentor_id: int) -> Callable[[Session], None]:
        def step(session: Session) -> None:
            pairs.request_mentor(
                session,
                mentee=_get(session, mentee_id),
                mentor=_get(session, mentor_id),
                default_capacity=5,
                now=NOW,
            )

        return step

    outcomes = race(database, ask(student_id, mentor_id), ask(mentor_id, student_id))
    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], UserError), refused[0]
    assert "already asked you" in refused[0].message
    (pair,) = live_pairs(database)
    with database.sessions() as session:
        found = pairs.pair_between(session, a=_get(session, student_id), b=_get(session, mentor_id))
        assert found is not None and found.id == pair.id


def test_the_migration_ends_duplicate_live_pairs(database: Database) -> None:
    config = alembic_config(database.engine)
    revision = ScriptDirectory.from_config(config).get_revision("d0001_one_live_pair")
    assert revision is not None and isinstance(revision.down_revision, str)
    a, b, c, d = people(database, STUDENT, MENTOR, OTHER_STUDENT, "U0MENTOR2")
    command.downgrade(config, revision.down_revision)
    try:
        with database.engine.begin() as connection:
            rows = [
                # A running pair and a later crossing request: the running pair stays.
                _row(mentee=b, mentor=a, state="pending"),
                _row(mentee=a, mentor=b, state="active"),
                # Two crossing requests: the first one stays.
                _row(mentee=c, mentor=d, state="pending"),
                _row(mentee=d, mentor=c, state="pending"),
                # History is left alone.
                _row(mentee=c, mentor=d, state="ended"),
            ]
            ids = [
                connection.execute(
                    insert(Pair.__table__).values(row).returning(Pair.id)
                ).scalar_one()
                for row in rows
            ]
    finally:
        upgrade_to_head(database.engine)
    states = _states(database, ids)
    assert states == ["ended", "active", "pending", "ended", "ended"]
    with database.sessions() as session:
        ended_duplicate = session.get(Pair, ids[0])
        assert ended_duplicate is not None and ended_duplicate.ended_at is not None


# --- capacity and double clicks: accepting under a lock ---------------------------------------


def test_accepting_two_requests_at_once_stays_within_capacity(database: Database) -> None:
    mentor_id, first_id, second_id = people(database, MENTOR, STUDENT, OTHER_STUDENT)
    with database.sessions.begin() as session:
        session.get_one(Person, mentor_id).mentor_capacity = 1
        requests = [
            pairs.request_mentor(
                session,
                mentee=session.get_one(Person, mentee_id),
                mentor=session.get_one(Person, mentor_id),
                default_capacity=5,
                now=NOW,
            ).id
            for mentee_id in (first_id, second_id)
        ]

    outcomes = race(database, *(_accept(pair_id) for pair_id in requests))
    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], UserError) and "their limit" in refused[0].message
    assert [p.state for p in live_pairs(database)].count(PairState.ACTIVE) == 1


def test_a_double_click_on_accept_starts_the_pair_once(database: Database) -> None:
    mentee_id, mentor_id = people(database, STUDENT, MENTOR)
    with database.sessions.begin() as session:
        pair_id = pairs.request_mentor(
            session,
            mentee=session.get_one(Person, mentee_id),
            mentor=session.get_one(Person, mentor_id),
            default_capacity=5,
            now=NOW,
        ).id

    outcomes = race(database, _accept(pair_id), _accept(pair_id))
    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], UserError) and "already answered" in refused[0].message


# --- helpers ---------------------------------------------------------------------------------


def _accept(pair_id: int) -> Callable[[Session], None]:
    def step(session: Session) -> None:
        pair = session.get_one(Pair, pair_id)
        pairs.answer_request(
            session,
            pair=pair,
            actor=pair.mentor,
            accept=True,
            default_capacity=5,
            hours=WorkingHours(),
            now=NOW,
        )

    return step


def _get(session: Session, person_id: int) -> Person:
    return session.get_one(Person, person_id)


def _row(*, mentee: int, mentor: int, state: str) -> dict[str, object]:
    """A pairs row as an older Rounds (or a bug) could have left it; one workspace per test."""
    return {
        "workspace_id": select(Person.workspace_id).where(Person.id == mentee).scalar_subquery(),
        "mentee_id": mentee,
        "mentor_id": mentor,
        "state": state,
        "cadence_unit": "week",
        "cadence_interval": 2,
        "cadence_weekday": 1,
        "cadence_time": time(9, 0),
        "unanswered_prompts": 0,
        "going_cold": False,
        "thanks_sent": 0,
        "requested_at": NOW,
    }


def _states(database: Database, ids: list[int]) -> list[str]:
    with database.sessions() as session:
        found = {
            pair.id: pair.state.value
            for pair in session.execute(select(Pair).where(Pair.id.in_(ids))).scalars()
        }
    return [found[pair_id] for pair_id in ids]
