"""Job store: what the core needs to run a dead worker's job again and to find a job whose
message the broker lost: the message itself, the job's bound on runs, when it was last queued,
how often its message was sent again, and whether it is due to be sent again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chariots_jobs") as batch:
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
        batch.add_column(sa.Column("max_attempts", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("resubmits", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(
            sa.Column("resend", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_chariots_jobs_status_queued", ["status", "queued_at"])


def downgrade() -> None:
    with op.batch_alter_table("chariots_jobs") as batch:
        batch.drop_index("ix_chariots_jobs_status_queued")
        for column in ("resend", "resubmits", "queued_at", "max_attempts", "message"):
            batch.drop_column(column)
