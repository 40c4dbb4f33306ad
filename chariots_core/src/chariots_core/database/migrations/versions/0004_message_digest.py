"""Job store: the digest of each job's message, which a worker's message must match.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chariots_jobs") as batch:
        batch.add_column(sa.Column("message_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chariots_jobs") as batch:
        batch.drop_column("message_digest")
