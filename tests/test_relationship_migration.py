"""Revision g0001 upgrades a database that holds yesterday's schema and data without losing
a row: alumni pairs, the new delivery kinds and the mentor directory arrive, the old rows stay."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.config import normalize_database_url
from bot.store.db import make_engine, make_session_factory
from bot.store.migrate import alembic_config
from bot.store.models import Delivery, DeliveryKind, MentorOffer, Pair, PairState
from tests.conftest import BACKENDS, POSTGRES_URL

PREVIOUS_HEAD = "d0001_one_live_pair"
NOW = datetime.now(UTC)
RECENT_CHECKIN = NOW - timedelta(days=40)
OLD_CHECKIN = NOW - timedelta(days=500)


@pytest.fixture(params=BACKENDS)
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own at the previous head (never the shared test database)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        command.upgrade(alembic_config(engine), PREVIOUS_HEAD)
        yield engine
        engine.dispose()
        return
    admin_url = make_url(normalize_database_url(POSTGRES_URL))
    name = f"rounds_migration_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(admin_url.set(database=name).render_as_string(hide_password=False))
    command.upgrade(alembic_config(engine), PREVIOUS_HEAD)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fill_with_yesterdays_data(engine: Engine) -> None:
    """Rows as the previous release wrote them, in its own schema (no ORM: models moved on)."""
    pair_columns = (
        "id, workspace_id, mentee_id, mentor_id, state, cadence_unit, cadence_interval, "
        "cadence_weekday, cadence_time, checkin_channel_id, unanswered_prompts, going_cold, "
        "thanks_sent, requested_at, activated_at, ended_at"
    )
    with engine.begin() as connection:
        run = connection.execute
        run(
            text("INSERT INTO workspaces (id, team_id, created_at) VALUES (1, 'T0001', :t)"),
            {"t": NOW},
        )
        for number, user in enumerate(("U0ANA", "U0BEN", "U0DRP", "U0DRQ"), start=1):
            run(
                text(
                    "INSERT INTO people (id, workspace_id, slack_user_id, tz, is_slack_admin, "
                    "is_coordinator, created_at) VALUES (:id, 1, :user, 'America/New_York', "
                    "false, false, :t)"
                ),
                {"id": number, "user": user, "t": NOW},
            )
        pairs = [
            (1, 1, 3, "active", RECENT_CHECKIN - timedelta(days=10), None, 2),
            (2, 2, 3, "ended", OLD_CHECKIN - timedelta(days=30), NOW - timedelta(days=60), 1),
            (3, 1, 4, "pending", None, None, 0),
        ]
        for pair_id, mentee, mentor, state, activated, ended, thanks in pairs:
            run(
                text(
                    f"INSERT INTO pairs ({pair_columns}) VALUES (:id, 1, :mentee, :mentor, "
                    ":state, 'week', 2, 1, '09:00:00', :channel, 0, false, :thanks, :t, "
                    ":activated, :ended)"
                ),
                {
                    "id": pair_id,
                    "mentee": mentee,
                    "mentor": mentor,
                    "state": state,
                    "channel": f"G0SPACE{pair_id}",
                    "thanks": thanks,
                    "t": NOW - timedelta(days=600),
                    "activated": activated,
                    "ended": ended,
                },
            )
        for checkin_id, pair_id, completed in ((1, 1, RECENT_CHECKIN), (2, 2, OLD_CHECKIN)):
            run(
                text(
                    "INSERT INTO checkins (id, pair_id, opened_at, mentee_checked_in_at, "
                    "mentor_responded_at, completed_at, goals_moved) "
                    "VALUES (:id, :pair, :t, :t, :t, :t, 0)"
                ),
                {"id": checkin_id, "pair": pair_id, "t": completed},
            )
        for goal_id, pair_id, mentee, status in ((1, 1, 1, "open"), (2, 2, 2, "done")):
            run(
                text(
                    "INSERT INTO goals (id, pair_id, mentee_id, number, text, status, created_at) "
                    "VALUES (:id, :pair, :mentee, 1, 'Match into surgery', :status, :t)"
                ),
                {"id": goal_id, "pair": pair_id, "mentee": mentee, "status": status, "t": NOW},
            )
        run(
            text(
                "INSERT INTO deliveries (id, pair_id, kind, period, status, due_at, attempts, "
                "in_doubt, created_at, channel_id, ts) VALUES (1, 1, 'prompt', '2026-10-06', "
                "'sent', :t, 1, false, :t, 'G0SPACE1', '1700000000.000100')"
            ),
            {"t": RECENT_CHECKIN},
        )
        if engine.dialect.name == "postgresql":
            # Rows were given their ids; let the sequences continue after them, as they
            # would have in production.
            for table in ("workspaces", "people", "pairs", "checkins", "goals", "deliveries"):
                run(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 100)"))


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
            for table in ("workspaces", "people", "pairs", "checkins", "goals", "deliveries")
        }


def test_upgrading_a_database_with_data_keeps_every_row(old_engine: Engine) -> None:
    _fill_with_yesterdays_data(old_engine)
    before = _counts(old_engine)

    command.upgrade(alembic_config(old_engine), "head")

    after = _counts(old_engine)
    # Nothing lost (SQLite copies `pairs` to change it; its children must survive that),
    # and one new row: the invitation of the mentee whose first check-in is recent.
    assert after == {**before, "deliveries": before["deliveries"] + 1}
    sessions = make_session_factory(old_engine)
    with sessions.begin() as session:
        states = dict(session.execute(select(Pair.id, Pair.state)).all())
        assert states == {1: PairState.ACTIVE, 2: PairState.ENDED, 3: PairState.PENDING}
        ended = session.get(Pair, 2)
        assert ended is not None
        assert (ended.thanks_sent, ended.kick_off_at, ended.mentee_keeps_in_touch_at) == (
            1,
            None,
            None,
        )
        (invitation,) = session.execute(
            select(Delivery).where(Delivery.kind == DeliveryKind.PAY_IT_FORWARD)
        ).scalars()
        assert invitation.pair_id == 1
        assert abs(invitation.due_at - (RECENT_CHECKIN + timedelta(days=365))) < timedelta(
            seconds=1
        )
        # The new state, kinds and table take rows on this database.
        ended.state = PairState.ALUMNI
        session.add(
            Delivery(
                pair_id=2,
                kind=DeliveryKind.CATCH_UP,
                period="2027-06-01",
                due_at=NOW,
                attempts=0,
                in_doubt=False,
            )
        )
        session.add(MentorOffer(person_id=3, topics="surgery research", offered_at=NOW))
    with old_engine.connect() as connection:
        # Still refused: a state nobody defined.
        with pytest.raises(IntegrityError, match=r"(?i)check"):
            connection.execute(text("UPDATE pairs SET state = 'archived' WHERE id = 1"))
        connection.rollback()
        # One live pair per two people, either way round: the partial expression index
        # survived SQLite's copy of the table.
        for members in ("mentee_id, mentor_id", "mentor_id, mentee_id"):
            with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
                connection.execute(
                    text(
                        "INSERT INTO pairs (workspace_id, mentee_id, mentor_id, state, "
                        "cadence_unit, cadence_interval, cadence_weekday, cadence_time, "
                        "unanswered_prompts, going_cold, thanks_sent, requested_at) "
                        f"SELECT workspace_id, {members}, 'active', cadence_unit, 2, 1, "
                        "cadence_time, 0, false, 0, requested_at FROM pairs WHERE id = 1"
                    )
                )
            connection.rollback()


def test_downgrading_turns_alumni_back_into_ended_pairs(old_engine: Engine) -> None:
    _fill_with_yesterdays_data(old_engine)
    command.upgrade(alembic_config(old_engine), "head")
    with old_engine.begin() as connection:
        connection.execute(text("UPDATE pairs SET state = 'alumni' WHERE id = 2"))
    command.downgrade(alembic_config(old_engine), PREVIOUS_HEAD)
    with old_engine.connect() as connection:
        states = dict(connection.execute(text("SELECT id, state FROM pairs")).all())
        kinds = {row[0] for row in connection.execute(text("SELECT kind FROM deliveries"))}
    assert states == {1: "active", 2: "ended", 3: "pending"}
    assert kinds == {"prompt"}
    assert _counts(old_engine)["checkins"] == 2
    with old_engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(
            text(
                "INSERT INTO pairs (workspace_id, mentee_id, mentor_id, state, cadence_unit, "
                "cadence_interval, cadence_weekday, cadence_time, unanswered_prompts, going_cold, "
                "thanks_sent, requested_at) SELECT workspace_id, mentor_id, mentee_id, 'pending', "
                "cadence_unit, 2, 1, cadence_time, 0, false, 0, requested_at FROM pairs "
                "WHERE id = 1"
            )
        )
