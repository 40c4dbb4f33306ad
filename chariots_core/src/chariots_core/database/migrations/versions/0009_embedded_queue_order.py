"""Embedded queue: an index in the order workers take messages.

A worker takes the next messages of its queue by highest priority, then earliest available, then
first put (``id``). The index of migration 0003, ``(queue, priority, available_at)`` ascending,
could not give that order: every take sorted all the queue's waiting messages of the top
priority (1.3 ms a take with 3,000 waiting on SQLite, growing with the queue). Read in this
index's order, a take reads the few rows it considers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_chariots_embedded_queue_next", table_name="chariots_embedded_queue")
    op.create_index(
        "ix_chariots_embedded_queue_order",
        "chariots_embedded_queue",
        ["queue", sa.text("priority DESC"), "available_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_chariots_embedded_queue_order", table_name="chariots_embedded_queue")
    op.create_index(
        "ix_chariots_embedded_queue_next",
        "chariots_embedded_queue",
        ["queue", "priority", "available_at"],
    )
