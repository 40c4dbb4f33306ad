"""Fixtures shared by chariots-core's tests.

Helper modules beside this file import by their name (``pythonpath`` in the root
``pyproject.toml`` puts this folder on ``sys.path``).
"""

from __future__ import annotations

import importlib
import sys


def _use_the_installed_chariots_core() -> None:
    """Undo pytest taking the distribution folder ``chariots_core/`` for the package.

    With ``--import-mode=importlib`` pytest names this file ``chariots_core.tests.conftest`` and,
    when ``chariots_core`` is not imported yet, makes up its parent package from the folders it
    sees: a namespace package over ``<repo>/chariots_core/``, which holds none of the package's
    modules (``import chariots_core.database`` would fail in every test). Put the installed
    package (``chariots_core/src/chariots_core``) back, keeping ``chariots_core.tests``.
    """
    package = sys.modules.get("chariots_core")
    if package is None or getattr(package, "__file__", None) is not None:
        return
    del sys.modules["chariots_core"]
    installed = importlib.import_module("chariots_core")
    tests_package = sys.modules.get("chariots_core.tests")
    if tests_package is not None:
        installed.tests = tests_package  # type: ignore[attr-defined]


_use_the_installed_chariots_core()

# Database fixtures (see _db_fixtures.py): a fresh SQLite file or PostgreSQL schema per test,
# and processes started together.
from _db_fixtures import (  # noqa: E402 - after the package is put right
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
