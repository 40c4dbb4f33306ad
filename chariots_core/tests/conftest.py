"""Fixtures shared by chariots-core's tests.

Helper modules beside this file import by their name (``pythonpath`` in the root
``pyproject.toml`` puts this folder on ``sys.path``). That pytest takes the folder
``chariots_core/`` for the package is undone by the chariots pytest plugin
(``chariots_core.testing._package_imports``).
"""

from __future__ import annotations

# Database fixtures (see _db_fixtures.py): a fresh SQLite file or PostgreSQL schema per test,
# and processes started together.
from _db_fixtures import (
    database,
    database_url,
    postgres_server_url,
    postgres_url,
    processes_together,
    sqlite_url,
    store,
)

__all__ = [
    "database",
    "database_url",
    "postgres_server_url",
    "postgres_url",
    "processes_together",
    "sqlite_url",
    "store",
]
