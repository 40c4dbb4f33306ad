"""Job store: results kept as exact JSON text on SQLite (a column declared JSON has numeric
affinity there, which turned a bare large integer into a float).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _result_type(type_: sa.types.TypeEngine[Any]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's json keeps the text as it was written
    with op.batch_alter_table("chariots_jobs") as batch:
        batch.alter_column("result", type_=type_, existing_nullable=True)


def upgrade() -> None:
    _result_type(sa.Text())


def downgrade() -> None:
    _result_type(sa.JSON())
