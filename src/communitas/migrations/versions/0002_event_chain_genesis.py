"""The event chain's head row, at the genesis hash.

Revision ID: 0002_event_chain_genesis
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_event_chain_genesis"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    head = sa.table(
        "event_chain_head",
        sa.column("id", sa.Integer),
        sa.column("last_seq", sa.BigInteger),
        sa.column("last_hash", sa.String),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64}])


def downgrade() -> None:
    op.execute("DELETE FROM event_chain_head")
