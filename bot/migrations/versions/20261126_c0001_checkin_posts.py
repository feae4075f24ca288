"""every post of a check-in round: checkin_posts replaces checkins.post_channel_id/post_ts

A second `/checkin` before the mentor answered overwrote the round's one post_ts, so a reply
to the first post was ignored. Each post now has its own row; existing posts are copied over.

Revision ID: c0001_checkin_posts
Revises: f0001
Create Date: 2026-11-26 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0001_checkin_posts"
down_revision: str | None = "f0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Each round's one known post becomes its first row. They wait in a table without
    # foreign keys while `checkins` is rebuilt: on SQLite, rebuilding drops the old table,
    # and with foreign keys on that would cascade into checkin_posts.
    op.create_table(
        "_moving_checkin_posts",
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
    )
    # Two rounds never shared a post, but should they have, the older keeps it.
    op.execute(
        """
        INSERT INTO _moving_checkin_posts (checkin_id, channel_id, ts)
        SELECT c.id, c.post_channel_id, c.post_ts
        FROM checkins AS c
        WHERE c.post_channel_id IS NOT NULL AND c.post_ts IS NOT NULL
          AND c.id = (
            SELECT MIN(o.id) FROM checkins AS o
            WHERE o.post_channel_id = c.post_channel_id AND o.post_ts = c.post_ts
          )
        """
    )

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_post_channel_id_post_ts")
        batch_op.drop_column("post_ts")
        batch_op.drop_column("post_channel_id")

    op.create_table(
        "checkin_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["checkins.id"],
            name=op.f("fk_checkin_posts_checkin_id_checkins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_posts")),
        sa.UniqueConstraint("channel_id", "ts", name=op.f("uq_checkin_posts_channel_id_ts")),
    )
    with op.batch_alter_table("checkin_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_posts_checkin_id"), ["checkin_id"], unique=False
        )
    op.execute(
        """
        INSERT INTO checkin_posts (checkin_id, channel_id, ts)
        SELECT checkin_id, channel_id, ts FROM _moving_checkin_posts ORDER BY checkin_id
        """
    )
    op.drop_table("_moving_checkin_posts")


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("post_channel_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("post_ts", sa.String(length=32), nullable=True))
        batch_op.create_index(
            "ix_checkins_post_channel_id_post_ts", ["post_channel_id", "post_ts"], unique=False
        )

    # The old schema knew one post per round: keep the latest.
    op.execute(
        """
        UPDATE checkins SET
          post_channel_id = (
            SELECT p.channel_id FROM checkin_posts AS p WHERE p.checkin_id = checkins.id
            ORDER BY p.id DESC LIMIT 1
          ),
          post_ts = (
            SELECT p.ts FROM checkin_posts AS p WHERE p.checkin_id = checkins.id
            ORDER BY p.id DESC LIMIT 1
          )
        """
    )

    with op.batch_alter_table("checkin_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_posts_checkin_id"))
    op.drop_table("checkin_posts")
