"""Fixtures of these tests: an op store in a temporary folder; the iris helpers on the path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from chariots_core.op_store import OpStore

# ``_iris_ops`` (the tutorial's ops and pipelines) sits beside these test folders
_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


@pytest.fixture
def op_store(tmp_path):
    """The in-process op store on a SQLite file and a folder in ``tmp_path``."""
    store = OpStore(path=tmp_path / "op_store")
    yield store
    store.close()
