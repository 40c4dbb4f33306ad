"""Job store: an index for each listing the server offers, in the listing's order.

``GET /jobs`` lists an app's jobs newest first, filtered by nothing, a pipeline, a status, or
both; each filter gets an index on its columns then ``(submitted_at, id)``, the listing's order
(``id`` breaks ties between jobs submitted at the same instant, so that pages neither repeat nor
skip a job). Read backwards, an index gives a page's rows already in order: a page, and the
bounded count beside it, read their own rows only, whether 10³ or 10⁵ jobs match. The indexes of
migrations 0002 and 0007 (without ``id``) left PostgreSQL to sort every matching row whenever its
statistics were stale, and there was none for all of an app's jobs, nor for a pipeline and a
status together.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_chariots_jobs_app_pipeline_submitted", table_name="chariots_jobs")
    op.drop_index("ix_chariots_jobs_app_status_submitted", table_name="chariots_jobs")
    op.create_index(
        "ix_chariots_jobs_app_submitted", "chariots_jobs", ["app", "submitted_at", "id"]
    )
    op.create_index(
        "ix_chariots_jobs_app_pipeline_submitted",
        "chariots_jobs",
        ["app", "pipeline", "submitted_at", "id"],
    )
    op.create_index(
        "ix_chariots_jobs_app_status_submitted",
        "chariots_jobs",
        ["app", "status", "submitted_at", "id"],
    )
    op.create_index(
        "ix_chariots_jobs_app_pipeline_status_submitted",
        "chariots_jobs",
        ["app", "pipeline", "status", "submitted_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_chariots_jobs_app_pipeline_status_submitted", table_name="chariots_jobs")
    op.drop_index("ix_chariots_jobs_app_status_submitted", table_name="chariots_jobs")
    op.drop_index("ix_chariots_jobs_app_pipeline_submitted", table_name="chariots_jobs")
    op.drop_index("ix_chariots_jobs_app_submitted", table_name="chariots_jobs")
    op.create_index(
        "ix_chariots_jobs_app_status_submitted",
        "chariots_jobs",
        ["app", "status", "submitted_at"],
    )
    op.create_index(
        "ix_chariots_jobs_app_pipeline_submitted",
        "chariots_jobs",
        ["app", "pipeline", "submitted_at"],
    )
