"""Request bodies over the limit are a 413 on both servers, however they come."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from _loopback_server import serving

from chariots_core.op_store import OpStore, OpStoreServer
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.versioning import Version

LIMIT = 1000
VERSION = str(Version(creation_time=1_700_000_000.5).update_major(b"v"))
SAVE = f"/v1/save_op_bytes?op_name=op&version={VERSION}&class_version={VERSION}"


class Echo(BaseOp):
    def execute(self, value: object) -> object:
        return value


@pytest.fixture
def op_store_url(tmp_path: Path) -> Iterator[str]:
    store = OpStore(path=tmp_path)
    with serving(OpStoreServer(store, max_request_bytes=LIMIT)) as url:
        yield url
    store.close()


@pytest.fixture
def pipelines_url(tmp_path: Path) -> Iterator[str]:
    node = Node(Echo(), input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")
    app = PipelinesServer(
        [Pipeline([node], "echo")],
        op_store_client=OpStore(path=tmp_path),
        import_name="limits_app",
        max_request_bytes=LIMIT,
    )
    with serving(app) as url:
        yield url


def _announce_a_huge_body(url: str, path: str) -> tuple[int, bytes]:
    """Send only the headers of a request announcing 10**12 bytes; the answer must come at once
    (the server does not wait for a body it will not take)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", "application/octet-stream")
        connection.putheader("Content-Length", str(10**12))
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _chunks(total: int, prefix: bytes = b"", suffix: bytes = b"") -> Iterator[bytes]:
    yield prefix
    for _ in range(total // 100):
        yield b"a" * 100
    yield suffix


@pytest.mark.parametrize("path", [SAVE, "/v1/pipeline_exists"])
def test_the_op_store_refuses_a_content_length_over_its_limit_before_reading(
    op_store_url: str, path: str
) -> None:
    status, body = _announce_a_huge_body(op_store_url, path)
    assert status == 413
    assert b"at most 1000 bytes" in body


def test_the_op_store_refuses_a_chunked_body_over_its_limit(op_store_url: str) -> None:
    answer = requests.post(op_store_url + SAVE, data=_chunks(3 * LIMIT), timeout=20)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "RequestTooLarge"
    answer = requests.post(
        op_store_url + "/v1/pipeline_exists",
        data=_chunks(3 * LIMIT, b'{"pipeline_name": "', b'"}'),
        timeout=20,
    )
    assert answer.status_code == 413, answer.text


def test_the_op_store_takes_a_body_at_its_limit_chunked_or_not(op_store_url: str) -> None:
    assert requests.post(op_store_url + SAVE, data=b"x" * LIMIT, timeout=20).status_code == 200
    chunked = requests.post(op_store_url + SAVE, data=_chunks(LIMIT), timeout=20)
    assert chunked.status_code == 200, chunked.text
    too_large = requests.post(op_store_url + SAVE, data=b"x" * (LIMIT + 1), timeout=20)
    assert too_large.status_code == 413


def test_the_pipelines_server_refuses_chunked_bodies_over_its_limit(pipelines_url: str) -> None:
    body = _chunks(3 * LIMIT, b'{"pipeline_input": "', b'"}')
    answer = requests.post(pipelines_url + "/pipelines/echo/main", data=body, timeout=20)
    assert answer.status_code == 413, answer.text  # was a 400: the body was cut at the limit
    status, _ = _announce_a_huge_body(pipelines_url, "/pipelines/echo/main")
    assert status == 413
    small = _chunks(500, b'{"pipeline_input": "', b'"}')
    answer = requests.post(pipelines_url + "/pipelines/echo/main", data=small, timeout=20)
    assert answer.status_code == 200
    assert answer.json()["pipeline_output"] == "a" * 500
