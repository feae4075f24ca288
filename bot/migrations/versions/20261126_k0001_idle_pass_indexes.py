"""indexes for the worker's idle passes: expired claims, and kick-offs by state; partial

The dispatcher claims what is due OR what another worker claimed and never finished. With an
index for only the first half, SQLite read the whole outbox on every pass (11 ms at 100,000
sent nudges, growing with history); with both, it reads two short index ranges. Kick-offs
due are looked up by state and time: SQLite, with no statistics, preferred the state index
over the time one and read every active pair; one index on both answers exactly.

The three hold only rows whose time is set (claimed, waiting for a kick-off, paused): the
planner moves thousands of pairs' next prompt at a launch, and a pair outside an index costs
nothing there.

Revision ID: k0001
Revises: h0001
Create Date: 2026-11-26 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0001"
down_revision: str | None = "h0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _partial(name: str, table: str, columns: list[str]) -> None:
    only_set = sa.text(f"{columns[-1]} IS NOT NULL")
    op.create_index(name, table, columns, sqlite_where=only_set, postgresql_where=only_set)


def upgrade() -> None:
    _partial("ix_deliveries_status_lease_expires_at", "deliveries", ["status", "lease_expires_at"])
    op.drop_index("ix_pairs_kick_off_at", table_name="pairs")
    _partial("ix_pairs_state_kick_off_at", "pairs", ["state", "kick_off_at"])
    op.drop_index("ix_pairs_state_paused_until", table_name="pairs")
    _partial("ix_pairs_state_paused_until", "pairs", ["state", "paused_until"])


def downgrade() -> None:
    op.drop_index("ix_pairs_state_paused_until", table_name="pairs")
    op.create_index("ix_pairs_state_paused_until", "pairs", ["state", "paused_until"])
    op.drop_index("ix_pairs_state_kick_off_at", table_name="pairs")
    op.create_index("ix_pairs_kick_off_at", "pairs", ["kick_off_at"])
    op.drop_index("ix_deliveries_status_lease_expires_at", table_name="deliveries")
