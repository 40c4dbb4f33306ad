"""The op store's HTTP contract: routes, JSON errors, and how clients read them back."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from chariots_core._transport import FlaskTestTransport, HttpResponse, error_from_response
from chariots_core.errors import BadRequest, OpNotFound, RemoteError
from chariots_core.op_store import HttpOpStoreClient, OpStore, OpStoreClient, OpStoreServer
from chariots_core.op_store.savers import BaseSaver
from chariots_core.testing import TestOpStoreClient
from chariots_core.versioning import Version

VERSION = Version(creation_time=1_700_000_000.5).update_major(b"v")
JSON_ROUTES = [
    "/v1/get_all_versions_of_op",
    "/v1/get_latest_versions",
    "/v1/get_op_bytes_for_version",
    "/v1/register_valid_link",
    "/v1/get_validated_links",
    "/v1/register_new_pipeline",
    "/v1/pipeline_exists",
]


@pytest.fixture
def server(tmp_path: Path) -> OpStoreServer:
    return OpStoreServer(OpStore(path=tmp_path))


@pytest.fixture
def http(server: OpStoreServer) -> FlaskClient:
    return server.test_client()


def assert_error(response: Any, status: int, error: str, message_part: str = "") -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == error
    assert message_part in body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return str(body["message"])


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"a string"', b"\xff\xfe"])
def test_bodies_that_are_not_json_objects_are_400(
    http: FlaskClient, route: str, body: bytes
) -> None:
    response = http.post(route, data=body, content_type="application/json")
    assert_error(response, 400, "BadRequest", "JSON object")


@pytest.mark.parametrize(
    ("route", "body", "message_part"),
    [
        ("/v1/get_all_versions_of_op", {}, "'op_name'"),
        ("/v1/get_all_versions_of_op", {"op_name": 3}, "'op_name' must be a string"),
        ("/v1/get_latest_versions", {"op_names": "abc"}, "'op_names' must be a list"),
        ("/v1/get_latest_versions", {"op_names": [1]}, "'op_names' must be a list"),
        ("/v1/get_op_bytes_for_version", {"op_name": "op", "version": "1.0"}, "version"),
        ("/v1/get_op_bytes_for_version", {"op_name": "op"}, "'version'"),
        ("/v1/register_new_pipeline", {"pipeline_name": "p"}, "'op_names'"),
        ("/v1/pipeline_exists", {"pipeline_name": None}, "'pipeline_name' must be a string"),
        (
            "/v1/register_valid_link",
            {
                "downstream_op_name": "a",
                "downstream_version": str(VERSION),
                "upstream_op_name": "b",
                "upstream_version": "not_a_version",
            },
            "upstream_version",
        ),
    ],
)
def test_malformed_fields_are_400_naming_the_field(
    http: FlaskClient, route: str, body: dict[str, Any], message_part: str
) -> None:
    assert_error(http.post(route, json=body), 400, "BadRequest", message_part)


def test_save_needs_its_query_arguments(http: FlaskClient) -> None:
    response = http.post("/v1/save_op_bytes", data=b"bytes", query_string={"op_name": "op"})
    assert_error(response, 400, "BadRequest", "'version'")
    response = http.post(
        "/v1/save_op_bytes",
        data=b"bytes",
        query_string={"op_name": "op", "version": str(VERSION), "class_version": "bad"},
    )
    assert_error(response, 400, "BadRequest", "class_version")


@pytest.mark.parametrize("bad_name", ["../../etc/passwd", "a/b", "", "bad\x00name"])
def test_bad_op_names_are_400_with_a_message(http: FlaskClient, bad_name: str) -> None:
    response = http.post(
        "/v1/save_op_bytes",
        data=b"bytes",
        query_string={"op_name": bad_name, "version": str(VERSION), "class_version": str(VERSION)},
    )
    assert_error(response, 400, "BadRequest", "op name")
    response = http.post("/v1/get_all_versions_of_op", json={"op_name": bad_name})
    assert_error(response, 400, "BadRequest", "op name")


def test_saved_bytes_travel_raw(http: FlaskClient) -> None:
    payload = b"\x00\x01binary\xff"
    response = http.post(
        "/v1/save_op_bytes",
        data=payload,
        content_type="application/octet-stream",
        query_string={"op_name": "op", "version": str(VERSION), "class_version": str(VERSION)},
    )
    assert response.status_code == 200
    response = http.post(
        "/v1/get_op_bytes_for_version", json={"op_name": "op", "version": str(VERSION)}
    )
    assert response.status_code == 200
    assert response.content_type == "application/octet-stream"
    assert response.get_data() == payload
    [saved] = http.post("/v1/get_all_versions_of_op", json={"op_name": "op"}).get_json()["versions"]
    assert saved["version"] == str(VERSION)
    assert saved["training_version"] is None


def test_unknown_version_is_404(http: FlaskClient) -> None:
    response = http.post(
        "/v1/get_op_bytes_for_version", json={"op_name": "op", "version": str(VERSION)}
    )
    assert_error(response, 404, "OpNotFound", "'op'")


def test_unknown_routes_and_methods_answer_json(http: FlaskClient) -> None:
    assert_error(http.get("/v1/no_such_route"), 404, "NotFound")
    assert_error(http.get("/v1/get_all_versions_of_op"), 405, "MethodNotAllowed")


def test_health_check(http: FlaskClient) -> None:
    response = http.get("/v1/health_check")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


class BrokenSaver(BaseSaver):
    """A saver whose storage fails: the server must answer 500 without leaking details."""

    def save(self, key: str, data: bytes) -> None:
        raise RuntimeError("disk on fire at /secret/path")

    def load(self, key: str) -> bytes:
        raise RuntimeError("disk on fire at /secret/path")

    def delete(self, key: str) -> None:
        raise RuntimeError("disk on fire at /secret/path")


def test_unexpected_failures_are_500_without_a_traceback(tmp_path: Path) -> None:
    server = OpStoreServer(OpStore(f"sqlite:///{tmp_path / 'x.db'}", BrokenSaver()))
    response = server.test_client().post(
        "/v1/save_op_bytes",
        data=b"bytes",
        query_string={"op_name": "op", "version": str(VERSION), "class_version": str(VERSION)},
    )
    message = assert_error(response, 500, "InternalServerError")
    assert "secret" not in message
    assert "secret" not in response.get_data(as_text=True)

    client = HttpOpStoreClient(FlaskTestTransport(server))
    with pytest.raises(RemoteError) as error:
        client.save_op_bytes("op", VERSION, b"x", class_version=VERSION, training_version=None)
    assert error.value.http_status == 500


def test_clients_raise_the_server_errors(tmp_path: Path) -> None:
    client = TestOpStoreClient(tmp_path)
    with pytest.raises(OpNotFound, match="no version"):
        client.get_op_bytes_for_version("op", VERSION)
    with pytest.raises(BadRequest, match="op name must not hold '/'"):
        client.get_all_versions_of_op("a/b")
    client.close()


def test_unreachable_server_is_a_remote_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = OpStoreClient(f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(RemoteError, match="could not reach") as error:
        client.pipeline_exists("p")
    assert error.value.http_status == 503
    client.close()


def test_test_client_exposes_its_server_and_database(tmp_path: Path) -> None:
    client = TestOpStoreClient(tmp_path)
    assert isinstance(client.server, OpStoreServer)
    assert client.server.db is client.op_store.db
    client.server.db.create_all()
    assert client.server.db.current_revision() is not None
    assert (tmp_path / "chariots.db").is_file()
    client.save_op_bytes("op", VERSION, b"x", class_version=VERSION, training_version=None)
    assert (tmp_path / "ops" / "op").is_dir()
    client.close()


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (404, {"error": "OpNotFound", "message": "m"}, OpNotFound),
        (404, {"error": "NotFound", "message": "m"}, OpNotFound),
        (400, {"error": "Whatever", "message": "m"}, BadRequest),
        (502, {"error": "BadGateway", "message": "m"}, RemoteError),
    ],
)
def test_error_statuses_map_to_exceptions(
    status: int, payload: dict[str, str], expected: type[Exception]
) -> None:
    response = HttpResponse(status, json.dumps(payload).encode(), "application/json")
    error = error_from_response(response, not_found=OpNotFound)
    assert type(error) is expected
    assert "m" in str(error)


def test_error_bodies_that_are_not_json_still_map() -> None:
    error = error_from_response(HttpResponse(500, b"<html>oops</html>", "text/html"))
    assert isinstance(error, RemoteError)
    assert error.http_status == 500
    assert "oops" in str(error)
