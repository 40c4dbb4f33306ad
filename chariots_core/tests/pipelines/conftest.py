"""Fixtures of the pipeline model's tests."""

from __future__ import annotations

import pytest

from chariots_core.op_store import OpStore


@pytest.fixture
def op_store(tmp_path):
    """The in-process op store on a SQLite file and a folder in ``tmp_path``."""
    store = OpStore(path=tmp_path / "op_store")
    yield store
    store.close()
