"""oauth installations: many workspaces, tokens encrypted at rest, uninstalled workspaces

Revision ID: j0001
Revises: g0001
Create Date: 2026-11-26 13:38:13.837183
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "j0001"
down_revision: str | None = "g0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("installation_key", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("enterprise_url", sa.String(length=200), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=True),
        sa.Column("token_type", sa.String(length=20), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_scopes", sa.Text(), nullable=True),
        sa.Column("bot_token_encrypted", sa.Text(), nullable=True),
        sa.Column("bot_refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("installer_user_id", sa.String(length=32), nullable=False),
        sa.Column("user_scopes", sa.Text(), nullable=True),
        sa.Column("user_token_encrypted", sa.Text(), nullable=True),
        sa.Column("user_refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("user_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installations")),
        sa.UniqueConstraint("installation_key", name=op.f("uq_installations_installation_key")),
    )
    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_oauth_states")),
    )
    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_states_expires_at"), ["expires_at"])

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enterprise_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("uninstalled_at")
        batch_op.drop_column("enterprise_id")
    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_states_expires_at"))
    op.drop_table("oauth_states")
    op.drop_table("installations")
