"""Fixtures shared by chariots-core's tests."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _use_the_installed_chariots_core() -> None:
    """Undo pytest taking the distribution folder ``chariots_core/`` for the package.

    With ``--import-mode=importlib`` pytest names this file ``chariots_core.tests.conftest`` and,
    when ``chariots_core`` is not imported yet, makes up the parent from the folder it sees: a
    namespace package over ``<repo>/chariots_core/`` that has none of the package's modules. Put
    the real package (``chariots_core/src/chariots_core``) back, keeping ``chariots_core.tests``.
    """
    package = sys.modules.get("chariots_core")
    if package is None or getattr(package, "__file__", None) is not None:
        return
    del sys.modules["chariots_core"]
    real_package = importlib.import_module("chariots_core")
    tests_package = sys.modules.get("chariots_core.tests")
    if tests_package is not None:
        real_package.tests = tests_package  # type: ignore[attr-defined]


_use_the_installed_chariots_core()


def _load_sibling(module_name: str) -> ModuleType:
    """Import a helper module that sits beside this file (no test folder is on ``sys.path``)."""
    qualified = f"chariots_core_tests_{module_name.lstrip('_')}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(
        qualified, Path(__file__).with_name(f"{module_name}.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


# Database fixtures (see _db_fixtures.py): postgres_server_url, postgres_url, sqlite_url,
# database_url, processes_together.
_db_fixtures = _load_sibling("_db_fixtures")
postgres_server_url = _db_fixtures.postgres_server_url
postgres_url = _db_fixtures.postgres_url
sqlite_url = _db_fixtures.sqlite_url
database_url = _db_fixtures.database_url
processes_together = _db_fixtures.processes_together
