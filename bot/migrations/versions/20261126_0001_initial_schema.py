"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 05:59:55.749644
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
    )
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_events_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("team_id", name=op.f("uq_workspaces_team_id")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=True),
        sa.Column("is_slack_admin", sa.Boolean(), nullable=False),
        sa.Column("is_coordinator", sa.Boolean(), nullable=False),
        sa.Column("profile_refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dm_channel_id", sa.String(length=32), nullable=True),
        sa.Column("mentor_capacity", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_people_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint(
            "workspace_id", "slack_user_id", name=op.f("uq_people_workspace_id_slack_user_id")
        ),
    )
    op.create_table(
        "pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "active",
                "paused",
                "ended",
                "declined",
                name="pair_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "cadence_unit",
            sa.Enum(
                "week",
                "month",
                name="cadence_unit",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("cadence_interval", sa.Integer(), nullable=False),
        sa.Column("cadence_weekday", sa.Integer(), nullable=False),
        sa.Column("cadence_time", sa.Time(), nullable=False),
        sa.Column("checkin_channel_id", sa.String(length=32), nullable=True),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("paused_reason", sa.String(length=200), nullable=True),
        sa.Column("next_prompt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_complete_checkin_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unanswered_prompts", sa.Integer(), nullable=False),
        sa.Column("going_cold", sa.Boolean(), nullable=False),
        sa.Column("thanks_sent", sa.Integer(), nullable=False),
        sa.Column("last_thanks_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["people.id"],
            name=op.f("fk_pairs_ended_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["people.id"], name=op.f("fk_pairs_mentee_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["people.id"], name=op.f("fk_pairs_mentor_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_pairs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairs")),
    )
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pairs_checkin_channel_id"), ["checkin_channel_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pairs_mentee_id"), ["mentee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairs_mentor_id"), ["mentor_id"], unique=False)
        batch_op.create_index(
            "ix_pairs_state_next_prompt_at", ["state", "next_prompt_at"], unique=False
        )
        batch_op.create_index(
            "ix_pairs_state_paused_until", ["state", "paused_until"], unique=False
        )
        batch_op.create_index(
            "uq_pairs_live_mentee_mentor",
            ["mentee_id", "mentor_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'active', 'paused')"),
            postgresql_where=sa.text("state IN ('pending', 'active', 'paused')"),
        )

    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mentee_checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mentor_responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("goals_moved", sa.Integer(), nullable=False),
        sa.Column("post_channel_id", sa.String(length=32), nullable=True),
        sa.Column("post_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_checkins_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkins_pair_id_completed_at", ["pair_id", "completed_at"], unique=False
        )
        batch_op.create_index(
            "ix_checkins_post_channel_id_post_ts", ["post_channel_id", "post_ts"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "prompt",
                "follow_up",
                "gratitude",
                "wrap_up",
                "coordinator_alert",
                name="delivery_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "sending",
                "sent",
                "skipped",
                "failed",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_doubt", sa.Boolean(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_deliveries_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "pair_id", "kind", "period", name=op.f("uq_deliveries_pair_id_kind_period")
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_channel_id_ts", ["channel_id", "ts"], unique=False)
        batch_op.create_index("ix_deliveries_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "dropped",
                name="goal_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["people.id"], name=op.f("fk_goals_mentee_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_goals_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
        sa.UniqueConstraint("mentee_id", "number", name=op.f("uq_goals_mentee_id_number")),
    )
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goals_pair_id"), ["pair_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goals_pair_id"))

    op.drop_table("goals")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_status_due_at")
        batch_op.drop_index("ix_deliveries_channel_id_ts")

    op.drop_table("deliveries")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_post_channel_id_post_ts")
        batch_op.drop_index("ix_checkins_pair_id_completed_at")

    op.drop_table("checkins")
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_pairs_live_mentee_mentor",
            sqlite_where=sa.text("state IN ('pending', 'active', 'paused')"),
            postgresql_where=sa.text("state IN ('pending', 'active', 'paused')"),
        )
        batch_op.drop_index("ix_pairs_state_paused_until")
        batch_op.drop_index("ix_pairs_state_next_prompt_at")
        batch_op.drop_index(batch_op.f("ix_pairs_mentor_id"))
        batch_op.drop_index(batch_op.f("ix_pairs_mentee_id"))
        batch_op.drop_index(batch_op.f("ix_pairs_checkin_channel_id"))

    op.drop_table("pairs")
    op.drop_table("people")
    op.drop_table("workspaces")
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_events_received_at"))

    op.drop_table("processed_events")
