"""The op store under test, four ways: in-process on SQLite and on PostgreSQL, over a real HTTP
port, and through the Flask test client (``TestOpStoreClient``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _serving import serving

from chariots_core.op_store import BaseOpStoreClient, OpStore, OpStoreClient, OpStoreServer
from chariots_core.op_store.savers import FileSaver
from chariots_core.testing import TestOpStoreClient


@dataclass
class StoreUnderTest:
    """A client of the op store API and the in-process store that answers it."""

    client: BaseOpStoreClient
    backing: OpStore
    kind: str


@pytest.fixture(params=["sqlite", "postgresql", "http", "flask_test_client"])
def store_under_test(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreUnderTest]:
    kind = request.param
    if kind == "sqlite":
        store = OpStore(path=tmp_path / "app")
        yield StoreUnderTest(store, store, kind)
        store.close()
    elif kind == "postgresql":
        store = OpStore(request.getfixturevalue("postgres_url"), FileSaver(tmp_path / "ops"))
        yield StoreUnderTest(store, store, kind)
        store.close()
    elif kind == "http":
        store = OpStore(path=tmp_path / "app")
        with serving(OpStoreServer(store)) as url:
            client = OpStoreClient(url)
            yield StoreUnderTest(client, store, kind)
            client.close()
        store.close()
    else:
        test_client = TestOpStoreClient(tmp_path / "app")
        yield StoreUnderTest(test_client, test_client.op_store, kind)
        test_client.close()


@pytest.fixture
def op_store(store_under_test: StoreUnderTest) -> BaseOpStoreClient:
    """The op store API, each of the four ways in turn."""
    return store_under_test.client


@pytest.fixture
def backing_op_store(store_under_test: StoreUnderTest) -> OpStore:
    """The in-process store behind ``op_store`` (``op_store`` itself when in-process)."""
    return store_under_test.backing
