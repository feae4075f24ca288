"""program tools: blackouts, import runs, digests to people, welcome deliveries

Revision ID: f0001
Revises: 0001
Create Date: 2026-11-26 13:06:24.664434
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("prompt", "follow_up", "gratitude", "wrap_up", "coordinator_alert")
NEW_KINDS = (*OLD_KINDS, "welcome", "digest")


def _kind_check(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade() -> None:
    op.create_table(
        "blackouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_blackouts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blackouts")),
        sa.UniqueConstraint(
            "workspace_id",
            "starts_on",
            "ends_on",
            "name",
            name=op.f("uq_blackouts_workspace_id_starts_on_ends_on_name"),
        ),
    )
    with op.batch_alter_table("blackouts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_blackouts_workspace_id_ends_on", ["workspace_id", "ends_on"], unique=False
        )

    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_pairs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coordinator_id"],
            ["people.id"],
            name=op.f("fk_import_runs_coordinator_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_import_runs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.alter_column("pair_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f("uq_deliveries_person_id_kind_period"), ["person_id", "kind", "period"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_person_id_people"),
            "people",
            ["person_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(op.f("ck_deliveries_delivery_kind"), type_="check")
        batch_op.create_check_constraint("delivery_kind", _kind_check(NEW_KINDS))

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("digest_off", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("digest_off")
        batch_op.drop_column("display_name")

    op.execute("DELETE FROM deliveries WHERE kind IN ('welcome', 'digest') OR pair_id IS NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_deliveries_delivery_kind"), type_="check")
        batch_op.create_check_constraint("delivery_kind", _kind_check(OLD_KINDS))
        batch_op.drop_constraint(batch_op.f("fk_deliveries_person_id_people"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_deliveries_person_id_kind_period"), type_="unique")
        batch_op.alter_column("pair_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("person_id")

    op.drop_table("import_runs")
    with op.batch_alter_table("blackouts", schema=None) as batch_op:
        batch_op.drop_index("ix_blackouts_workspace_id_ends_on")

    op.drop_table("blackouts")
