"""The op store under test, four ways: in-process on SQLite and on PostgreSQL, over a real HTTP
port, and through the Flask test client (``TestOpStoreClient``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import flask
import pytest
from werkzeug.serving import make_server

from chariots_core.op_store import BaseOpStoreClient, OpStore, OpStoreClient, OpStoreServer
from chariots_core.op_store.savers import FileSaver
from chariots_core.testing import TestOpStoreClient


@contextmanager
def serving(app: flask.Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval, so that shutdown() returns at once rather than in half a second.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="op-store-server"
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


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
