"""the whole relationship: kick-off, keeping in touch (alumni), mentor directory

Revision ID: g0001
Revises: d0001_one_live_pair
Create Date: 2026-11-26 13:06:13.131379

- pairs: `alumni` state, when the kick-off is due, who pressed "Keep in touch".
- deliveries: kick-off, mentor wrap-up, catch-up and pay-it-forward kinds.
- mentor_offers: the mentor directory.
- data: mentees whose first complete check-in is less than a year old get their
  pay-it-forward invitation planned, a year after that check-in.
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "g0001"
down_revision: str | None = "d0001_one_live_pair"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAIR_STATES_BEFORE = ("pending", "active", "paused", "ended", "declined")
PAIR_STATES_AFTER = ("pending", "active", "paused", "alumni", "ended", "declined")
KINDS_BEFORE = (
    "prompt",
    "follow_up",
    "gratitude",
    "wrap_up",
    "coordinator_alert",
    "welcome",
    "digest",
)
KINDS_AFTER = (
    *KINDS_BEFORE,
    "kick_off",
    "mentor_wrap_up",
    "catch_up",
    "pay_it_forward",
)
PAY_IT_FORWARD_AFTER = timedelta(days=365)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


@contextmanager
def _rebuilding(table: str, *, dropping: Sequence[str] = ()) -> Iterator[BatchOperations]:
    """Batch-alter `table`. PostgreSQL alters it in place. SQLite cannot: batch mode copies
    the table and drops the original, and with it every index; the copy gets back only the
    indexes SQLAlchemy can reflect, which leaves out expression indexes such as
    uq_pairs_live_members. Those are put back from their own SQL (except `dropping`)."""
    bind = op.get_bind()
    saved: dict[str, str] = {}
    if bind.dialect.name == "sqlite":
        saved = dict(
            bind.execute(
                sa.text(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL"
                ),
                {"table": table},
            ).all()
        )
    with warnings.catch_warnings():
        # SQLAlchemy says it skipped the expression index; it is restored below.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        with op.batch_alter_table(table, recreate="auto") as batch_op:
            yield batch_op
    if saved:
        present = {
            row[0]
            for row in bind.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"),
                {"t": table},
            )
        }
        for index_name, sql in saved.items():
            if index_name not in present and index_name not in dropping:
                bind.execute(sa.text(sql))


def _replace_check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    # The enums are strings with a CHECK (native_enum=False); a new member is a new CHECK.
    with _rebuilding(table) as batch_op:
        batch_op.drop_constraint(op.f(name), type_="check")
        batch_op.create_check_constraint(op.f(name), _in(column, values))


def _utc(value: object) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _plan_pay_it_forward_invitations() -> None:
    """A year after each mentee's first complete check-in, if that is still to come."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    firsts = bind.execute(
        sa.text(
            "SELECT checkins.pair_id, MIN(checkins.completed_at) FROM checkins "
            "JOIN pairs ON pairs.id = checkins.pair_id "
            "WHERE checkins.completed_at IS NOT NULL GROUP BY checkins.pair_id"
        )
    ).all()
    deliveries = sa.table(
        "deliveries",
        sa.column("pair_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("period", sa.String),
        sa.column("status", sa.String),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("attempts", sa.Integer),
        sa.column("in_doubt", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = []
    for pair_id, first in firsts:
        due = _utc(first) + PAY_IT_FORWARD_AFTER
        if due > now:
            rows.append(
                {
                    "pair_id": pair_id,
                    "kind": "pay_it_forward",
                    "period": "first-checkin",
                    "status": "scheduled",
                    "due_at": due,
                    "attempts": 0,
                    "in_doubt": False,
                    "created_at": now,
                }
            )
    if rows:
        op.bulk_insert(deliveries, rows)


def upgrade() -> None:
    op.create_table(
        "mentor_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_mentor_offers_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_offers")),
        sa.UniqueConstraint("person_id", name=op.f("uq_mentor_offers_person_id")),
    )
    with _rebuilding("pairs") as batch_op:
        batch_op.add_column(sa.Column("kick_off_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("mentee_keeps_in_touch_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("mentor_keeps_in_touch_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_pairs_kick_off_at", ["kick_off_at"], unique=False)
    _replace_check("pairs", "ck_pairs_pair_state", "state", PAIR_STATES_AFTER)
    _replace_check("deliveries", "ck_deliveries_delivery_kind", "kind", KINDS_AFTER)
    _plan_pay_it_forward_invitations()


def downgrade() -> None:
    bind = op.get_bind()
    # Rows the older schema cannot hold: alumni pairs become plain ended pairs again.
    bind.execute(sa.text("UPDATE pairs SET state = 'ended' WHERE state = 'alumni'"))
    bind.execute(sa.text(f"DELETE FROM deliveries WHERE NOT ({_in('kind', KINDS_BEFORE)})"))
    _replace_check("deliveries", "ck_deliveries_delivery_kind", "kind", KINDS_BEFORE)
    _replace_check("pairs", "ck_pairs_pair_state", "state", PAIR_STATES_BEFORE)
    with _rebuilding("pairs", dropping=["ix_pairs_kick_off_at"]) as batch_op:
        batch_op.drop_index("ix_pairs_kick_off_at")
        batch_op.drop_column("mentor_keeps_in_touch_at")
        batch_op.drop_column("mentee_keeps_in_touch_at")
        batch_op.drop_column("kick_off_at")
    op.drop_table("mentor_offers")
