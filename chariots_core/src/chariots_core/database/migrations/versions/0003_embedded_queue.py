"""Embedded worker pool: its queue of job messages and the workers listening on it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chariots_embedded_queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=255), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chariots_embedded_queue")),
    )
    op.create_index(
        "ix_chariots_embedded_queue_next",
        "chariots_embedded_queue",
        ["queue", "priority", "available_at"],
    )
    op.create_index(
        "ix_chariots_embedded_queue_job_id", "chariots_embedded_queue", ["job_id"]
    )
    op.create_table(
        "chariots_embedded_workers",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("queue", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chariots_embedded_workers")),
    )
    op.create_index(
        "ix_chariots_embedded_workers_queue",
        "chariots_embedded_workers",
        ["queue", "heartbeat_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_chariots_embedded_workers_queue", table_name="chariots_embedded_workers")
    op.drop_table("chariots_embedded_workers")
    op.drop_index("ix_chariots_embedded_queue_job_id", table_name="chariots_embedded_queue")
    op.drop_index("ix_chariots_embedded_queue_next", table_name="chariots_embedded_queue")
    op.drop_table("chariots_embedded_queue")
