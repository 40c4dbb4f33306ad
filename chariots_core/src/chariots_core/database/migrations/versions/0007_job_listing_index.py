"""Job store: an index for listing an app's jobs of one status, newest first
(``GET /jobs?status=...``), so that a page costs the same at 10³ and 10⁵ records.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_chariots_jobs_app_status_submitted",
        "chariots_jobs",
        ["app", "status", "submitted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_chariots_jobs_app_status_submitted", table_name="chariots_jobs")
