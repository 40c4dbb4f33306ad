"""Op store: ops, their saved versions, validated links, pipelines.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Migrations are frozen: they name plain SQLAlchemy types, never chariots' own, so that changing
the models later cannot change what an old migration does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _hash(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=40), nullable=False)


def upgrade() -> None:
    op.create_table(
        "chariots_ops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chariots_ops")),
        sa.UniqueConstraint("name", name=op.f("uq_chariots_ops_name")),
    )
    op.create_table(
        "chariots_pipelines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chariots_pipelines")),
        sa.UniqueConstraint("name", name=op.f("uq_chariots_pipelines_name")),
    )
    op.create_table(
        "chariots_op_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("op_id", sa.Integer(), nullable=False),
        _hash("major"),
        _hash("minor"),
        _hash("patch"),
        sa.Column("creation_time", sa.Double(), nullable=False),
        sa.Column("class_version", sa.String(length=200), nullable=False),
        sa.Column("training_version", sa.String(length=200), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saver_key", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["op_id"],
            ["chariots_ops.id"],
            name=op.f("fk_chariots_op_versions_op_id_chariots_ops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chariots_op_versions")),
        sa.UniqueConstraint(
            "op_id",
            "major",
            "minor",
            "patch",
            name=op.f("uq_chariots_op_versions_op_id_major_minor_patch"),
        ),
    )
    op.create_index(
        "ix_chariots_op_versions_op_id_saved_at",
        "chariots_op_versions",
        ["op_id", "saved_at"],
    )
    op.create_table(
        "chariots_pipeline_ops",
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("op_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["op_id"],
            ["chariots_ops.id"],
            name=op.f("fk_chariots_pipeline_ops_op_id_chariots_ops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["chariots_pipelines.id"],
            name=op.f("fk_chariots_pipeline_ops_pipeline_id_chariots_pipelines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pipeline_id", "op_id", name=op.f("pk_chariots_pipeline_ops")),
    )
    op.create_index("ix_chariots_pipeline_ops_op_id", "chariots_pipeline_ops", ["op_id"])
    op.create_table(
        "chariots_validated_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("downstream_op_id", sa.Integer(), nullable=False),
        _hash("downstream_major"),
        _hash("downstream_minor"),
        _hash("downstream_patch"),
        sa.Column("upstream_op_id", sa.Integer(), nullable=False),
        _hash("upstream_major"),
        _hash("upstream_minor"),
        _hash("upstream_patch"),
        sa.Column("upstream_creation_time", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["downstream_op_id"],
            ["chariots_ops.id"],
            name=op.f("fk_chariots_validated_links_downstream_op_id_chariots_ops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["upstream_op_id"],
            ["chariots_ops.id"],
            name=op.f("fk_chariots_validated_links_upstream_op_id_chariots_ops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chariots_validated_links")),
        sa.UniqueConstraint(
            "downstream_op_id",
            "downstream_major",
            "downstream_minor",
            "downstream_patch",
            "upstream_op_id",
            "upstream_major",
            "upstream_minor",
            "upstream_patch",
            name="uq_chariots_validated_links",
        ),
    )
    op.create_index(
        "ix_chariots_validated_links_upstream_op_id",
        "chariots_validated_links",
        ["upstream_op_id"],
    )


def downgrade() -> None:
    op.drop_table("chariots_validated_links")
    op.drop_table("chariots_pipeline_ops")
    op.drop_table("chariots_op_versions")
    op.drop_table("chariots_pipelines")
    op.drop_table("chariots_ops")
