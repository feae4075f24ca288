"""indexes for the worker's idle passes: expired claims, and kick-offs by state

The dispatcher claims what is due OR what another worker claimed and never finished. With an
index for only the first half, SQLite read the whole outbox on every pass (11 ms at 100,000
sent nudges, growing with history); with both, it reads two short index ranges. Kick-offs
due are looked up by state and time: SQLite, with no statistics, preferred the state index
over the time one and read every active pair; one index on both answers exactly.

Revision ID: k0001
Revises: h0001
Create Date: 2026-11-26 17:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "k0001"
down_revision: str | None = "h0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_status_lease_expires_at", "deliveries", ["status", "lease_expires_at"]
    )
    op.create_index("ix_pairs_state_kick_off_at", "pairs", ["state", "kick_off_at"])
    op.drop_index("ix_pairs_kick_off_at", table_name="pairs")


def downgrade() -> None:
    op.create_index("ix_pairs_kick_off_at", "pairs", ["kick_off_at"])
    op.drop_index("ix_pairs_state_kick_off_at", table_name="pairs")
    op.drop_index("ix_deliveries_status_lease_expires_at", table_name="deliveries")
