"""Alembic environment of chariots' own tables (run by ``chariots_core.database``)."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from chariots_core.database._base import Base
from chariots_core.database._migrations import MODEL_MODULES

for _module in MODEL_MODULES:  # put every chariots table on Base.metadata
    importlib.import_module(_module)

config = context.config
version_table = config.get_main_option("version_table") or "chariots_alembic_version"


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=version_table,
        transactional_ddl=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    # Run from the alembic command line (e.g. to write a new revision with --autogenerate).
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or run migrations with Database.create_all()")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            _run_on(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("chariots migrations run online only")
_run()
