"""Job store: jobs and the tombstones of expired jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "chariots_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("app", sa.String(length=255), nullable=False),
        sa.Column("pipeline", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("native_status", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        _when("submitted_at", nullable=False),
        _when("started_at"),
        _when("finished_at"),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        _when("heartbeat_at"),
        sa.Column("progress_done", sa.Integer(), nullable=True),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_type", sa.String(length=255), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_traceback", sa.Text(), nullable=True),
        sa.Column("versions_loaded", sa.JSON(), nullable=True),
        sa.Column("versions_saved", sa.JSON(), nullable=True),
        _when("expires_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chariots_jobs")),
    )
    op.create_index(
        "ix_chariots_jobs_app_pipeline_submitted",
        "chariots_jobs",
        ["app", "pipeline", "submitted_at"],
    )
    op.create_index(
        "ix_chariots_jobs_status_heartbeat", "chariots_jobs", ["status", "heartbeat_at"]
    )
    op.create_index("ix_chariots_jobs_expires_at", "chariots_jobs", ["expires_at"])
    op.create_table(
        "chariots_job_tombstones",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("app", sa.String(length=255), nullable=False),
        sa.Column("pipeline", sa.String(length=255), nullable=False),
        _when("expired_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chariots_job_tombstones")),
    )


def downgrade() -> None:
    op.drop_table("chariots_job_tombstones")
    op.drop_index("ix_chariots_jobs_expires_at", table_name="chariots_jobs")
    op.drop_index("ix_chariots_jobs_status_heartbeat", table_name="chariots_jobs")
    op.drop_index("ix_chariots_jobs_app_pipeline_submitted", table_name="chariots_jobs")
    op.drop_table("chariots_jobs")
