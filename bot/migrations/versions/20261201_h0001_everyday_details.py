"""everyday details: own working hours, goal numbers per pair, settled prompts

Revision ID: h0001
Revises: j0001
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h0001"
down_revision: str | None = "j0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _renumber_goals_per_pair() -> None:
    """Goal numbers become 1, 2, 3 within each pair, in their old order. Assigning in
    ascending order never collides: the i-th smallest old number is at least i."""
    connection = op.get_bind()
    goals = sa.table(
        "goals", sa.column("id", sa.Integer), sa.column("pair_id"), sa.column("number")
    )
    rows = connection.execute(
        sa.select(goals.c.id, goals.c.pair_id, goals.c.number).order_by(
            goals.c.pair_id, goals.c.number
        )
    ).all()
    position: dict[int, int] = {}
    for goal_id, pair_id, number in rows:
        position[pair_id] = position.get(pair_id, 0) + 1
        if number != position[pair_id]:
            connection.execute(
                sa.update(goals).where(goals.c.id == goal_id).values(number=position[pair_id])
            )


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("work_start", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("work_end", sa.Time(), nullable=True))

    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hours_clash_noted_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_constraint("uq_goals_mentee_id_number", type_="unique")
    _renumber_goals_per_pair()
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_goals_pair_id_number"), ["pair_id", "number"]
        )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("settled_as", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("settled_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_settled_by_id_people"),
            "people",
            ["settled_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_deliveries_settled_by_id_people"), type_="foreignkey"
        )
        batch_op.drop_column("settled_by_id")
        batch_op.drop_column("settled_as")
        batch_op.drop_column("settled_at")

    # Per-mentee numbers may repeat across a mentee's pairs; they cannot go back to being
    # unique per mentee without renumbering, which a downgrade must not do silently.
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_goals_pair_id_number"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_goals_mentee_id_number"), ["mentee_id", "number"]
        )

    # Plain ALTER TABLE (SQLite 3.35+ has DROP COLUMN): a batch rebuild of `pairs` would
    # lose its expression index, which the next revision down drops by name.
    op.execute("ALTER TABLE pairs DROP COLUMN hours_clash_noted_at")
    op.execute("ALTER TABLE people DROP COLUMN work_end")
    op.execute("ALTER TABLE people DROP COLUMN work_start")
