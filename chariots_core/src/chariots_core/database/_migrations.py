"""Running chariots' Alembic migrations from code, one process at a time.

The migration scripts live in ``migrations/`` inside this package (no ``alembic.ini``): the
Alembic configuration is built here, and ``migrations/env.py`` runs on the connection handed to
it, inside a transaction that holds a database-wide lock for the whole upgrade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from chariots_core.database._sqlite import SQLITE_BEGIN_OPTION

#: Where the migration scripts are (``env.py``, ``script.py.mako``, ``versions/``).
MIGRATIONS_PATH = Path(__file__).with_name("migrations")

#: Alembic's bookkeeping table, named so that it does not collide with an application's own.
VERSION_TABLE = "chariots_alembic_version"

#: Modules that declare tables on :data:`~chariots_core.database.Base` (imported by ``env.py``, so
#: that ``alembic revision --autogenerate`` sees every chariots table). Add a module here when
#: it adds tables, with a migration in ``migrations/versions/``.
MODEL_MODULES = (
    "chariots_core.op_store._models",
    "chariots_core.jobs._models",
    "chariots_core.workers.embedded._models",
    "chariots_core.workers.kit.roster",
)

#: Key of the PostgreSQL advisory lock held while migrating (any fixed 64-bit integer).
POSTGRES_MIGRATION_LOCK_KEY = 0x63686172696F7473  # "chariots"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for chariots' migrations, running on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    config.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other process can migrate alongside."""
    connection = engine.connect()
    try:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": POSTGRES_MIGRATION_LOCK_KEY},
                )
            yield connection
    finally:
        connection.close()


def _run(engine: Engine, action: Callable[[Config], None]) -> None:
    with migration_connection(engine) as connection:
        action(alembic_config(connection))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate up to ``revision`` under the migration lock."""
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate down to ``revision`` under the migration lock."""
    _run(engine, lambda config: command.downgrade(config, revision))


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in ``chariots_alembic_version``; ``None`` before any migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
