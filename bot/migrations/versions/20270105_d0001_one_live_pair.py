"""one live pair per two people, whichever direction

The first schema allowed one live pair per (mentee, mentor), so crossing requests (A asks B
while B asks A) could leave two live pairs between the same people, and every command between
them failed. The index now covers the unordered pair of members.

Duplicates already in the database are resolved before the index is built: the pair that is
running (active or paused) is kept over a request still waiting for an answer, and among equals
the oldest; the others are ended, their history kept.

Revision ID: d0001_one_live_pair
Revises: c0001_checkin_posts
Create Date: 2027-01-05 12:00:00
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "d0001_one_live_pair"
down_revision: str | None = "c0001_checkin_posts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("rounds.migrations")

LIVE_PAIR = "state IN ('pending', 'active', 'paused')"
RUNNING = ("active", "paused")


def _end_duplicate_live_pairs() -> None:
    connection = op.get_bind()
    live = connection.execute(
        sa.text(f"SELECT id, mentee_id, mentor_id, state FROM pairs WHERE {LIVE_PAIR} ORDER BY id")
    ).all()
    kept: dict[tuple[int, int], tuple[int, str]] = {}
    duplicates: list[int] = []
    for pair_id, mentee_id, mentor_id, state in live:
        members = (min(mentee_id, mentor_id), max(mentee_id, mentor_id))
        earlier = kept.get(members)
        if earlier is None:
            kept[members] = (pair_id, state)
        elif state in RUNNING and earlier[1] not in RUNNING:
            duplicates.append(earlier[0])  # a running pair beats a request still waiting
            kept[members] = (pair_id, state)
        else:
            duplicates.append(pair_id)
    if not duplicates:
        return
    log.warning(
        "ending %d duplicate live pair(s) between the same two people: ids %s",
        len(duplicates),
        ", ".join(map(str, sorted(duplicates))),
    )
    pairs = sa.table(
        "pairs",
        sa.column("id", sa.Integer),
        sa.column("state", sa.String),
        sa.column("ended_at", sa.DateTime(timezone=True)),
        sa.column("next_prompt_at", sa.DateTime(timezone=True)),
    )
    connection.execute(
        sa.update(pairs)
        .where(pairs.c.id.in_(duplicates))
        .values(state="ended", ended_at=datetime.now(UTC), next_prompt_at=None)
    )


def _members() -> list[sa.TextClause]:
    """The unordered pair of members; SQLite's two-argument min()/max() are least()/greatest()."""
    lower, higher = (
        ("min", "max") if op.get_bind().dialect.name == "sqlite" else ("least", "greatest")
    )
    return [sa.text(f"{lower}(mentee_id, mentor_id)"), sa.text(f"{higher}(mentee_id, mentor_id)")]


def upgrade() -> None:
    _end_duplicate_live_pairs()
    op.drop_index(
        "uq_pairs_live_mentee_mentor",
        table_name="pairs",
        sqlite_where=sa.text(LIVE_PAIR),
        postgresql_where=sa.text(LIVE_PAIR),
    )
    op.create_index(
        "uq_pairs_live_members",
        "pairs",
        _members(),
        unique=True,
        sqlite_where=sa.text(LIVE_PAIR),
        postgresql_where=sa.text(LIVE_PAIR),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_pairs_live_members",
        table_name="pairs",
        sqlite_where=sa.text(LIVE_PAIR),
        postgresql_where=sa.text(LIVE_PAIR),
    )
    op.create_index(
        "uq_pairs_live_mentee_mentor",
        "pairs",
        ["mentee_id", "mentor_id"],
        unique=True,
        sqlite_where=sa.text(LIVE_PAIR),
        postgresql_where=sa.text(LIVE_PAIR),
    )
