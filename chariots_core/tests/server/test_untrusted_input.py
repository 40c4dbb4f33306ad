"""What an attacker on the network sends gets a 4xx that says why: never a 500, and no answer
holds SQL, a traceback or a server path. Run on SQLite and on PostgreSQL (whose errors quote
the SQL statement and its parameters)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from chariots_core.jobs import JobStatus
from chariots_core.op_store import OpStore, OpStoreServer
from chariots_core.op_store.savers import FileSaver
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestPipelinesClient
from chariots_core.versioning import Version

VERSION = Version(creation_time=1_700_000_000.5).update_major(b"v")
LEAKS = ("SELECT", "INSERT", "bigint", "psycopg", "sqlalchemy", "Traceback", "/work/", "/tmp/")


class Echo(BaseOp):
    def execute(self, value: Any) -> Any:
        return value


class Wild(BaseOp):
    """Gives what strict JSON cannot hold, as its input asks."""

    def execute(self, kind: str) -> Any:
        if kind == "nan":
            return [1, 2, [0.5, float("nan")]]
        if kind == "infinity":
            return {"scores": [float("inf")]}
        if kind == "huge":
            return 7**6000  # more than 4300 digits
        return kind


def _pipeline(name: str, op: BaseOp) -> Pipeline:
    node = Node(op, input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")
    return Pipeline([node], name)


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[OpStore]:
    store = OpStore(database_url, FileSaver(tmp_path / "ops"))
    yield store
    store.close()


@pytest.fixture
def app(store: OpStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelinesServer]:
    monkeypatch.delenv("CHARIOTS_WORKER_POOL", raising=False)
    app = PipelinesServer(
        [_pipeline("echo", Echo()), _pipeline("wild", Wild())],
        op_store_client=store,
        import_name="untrusted_input_app",
    )
    yield app
    if app.has_worker_pool:
        app.worker_pool.stop_workers()
        app.worker_pool.close()


@pytest.fixture
def http(app: PipelinesServer) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def op_store_http(store: OpStore) -> FlaskClient:
    return OpStoreServer(store).test_client()


def assert_refused(answer: Any, status: int, needle: str = "") -> dict[str, Any]:
    text = answer.get_data(as_text=True)
    assert answer.status_code == status, text[:500]
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} in {text[:500]}"
    body: dict[str, Any] = answer.get_json()
    assert needle.lower() in body["message"].lower(), body
    return body


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("offset=9223372036854775806", "'offset' must be between 0 and"),
        ("offset=9223372036854775808", "'offset' must be"),
        ("offset=1e300", "'offset' must be an integer"),
        ("offset=inf", "'offset' must be an integer"),
        ("offset=0.5", "'offset' must be an integer"),
        ("offset=-1", "'offset' must be between"),
        ("limit=inf", "'limit' must be an integer"),
        ("limit=nan", "'limit' must be an integer"),
        ("limit=" + "9" * 5000, "'limit' must be an integer"),
        ("limit=%EF%BC%91", "'limit' must be an integer"),  # a full-width digit
    ],
)
def test_pagination_takes_decimal_integers_within_bounds(
    http: FlaskClient, query: str, needle: str
) -> None:
    assert_refused(http.get(f"/jobs?{query}"), 400, needle)


def test_a_large_valid_offset_is_an_empty_page(http: FlaskClient) -> None:
    answer = http.get("/jobs?offset=2147483647&limit=1000")
    assert answer.status_code == 200
    assert answer.get_json()["jobs"] == []


@pytest.mark.parametrize("job_id", ["ab\x00cd", "\x00", "x" * 65, "tab\tbed"])
def test_job_ids_no_job_can_have_are_404_without_asking_the_database(
    http: FlaskClient, job_id: str
) -> None:
    path = "/jobs/" + quote(job_id, safe="")
    assert_refused(http.get(path), 404, "no job with id")
    assert_refused(http.get(path + "/wait?timeout=0"), 404, "no job with id")
    assert_refused(http.post(path + "/cancel"), 404, "no job with id")
    assert_refused(http.post("/jobs/fetch/", json={"job_id": job_id}), 404, "no job with id")


def test_a_filter_no_job_can_match_is_an_empty_page(http: FlaskClient) -> None:
    for name in ("a\x00b", "\x00"):
        answer = http.get("/jobs", query_string={"pipeline": name})
        assert answer.status_code == 200
        assert answer.get_json() == {
            "jobs": [],
            "total": 0,
            "total_exact": True,
            "limit": 50,
            "offset": 0,
        }


JSON_ROUTES = [
    "/pipelines/echo/main",
    "/pipelines/echo/load",
    "/pipelines/echo/save",
    "/pipelines/echo/versions",
    "/jobs/fetch/",
    "/jobs/feed/cancel",
]
OP_STORE_JSON_ROUTES = [
    "/v1/get_all_versions_of_op",
    "/v1/get_latest_versions",
    "/v1/get_op_bytes_for_version",
    "/v1/register_valid_link",
    "/v1/get_validated_links",
    "/v1/register_new_pipeline",
    "/v1/pipeline_exists",
]


@pytest.mark.parametrize("depth", [300, 900, 5000, 100_000])
def test_deeply_nested_json_is_a_400_on_every_json_route(
    http: FlaskClient, op_store_http: FlaskClient, depth: int
) -> None:
    deep = b'{"pipeline_input": ' + b"[" * depth + b"]" * depth + b"}"
    for route in JSON_ROUTES:
        assert_refused(http.post(route, data=deep), 400, "nested deeper than 256 levels")
    deep_object = b'{"op_name": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    for route in OP_STORE_JSON_ROUTES:
        assert_refused(op_store_http.post(route, data=deep_object), 400, "nested deeper")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"pipeline_input": NaN}', "NaN is not a JSON number"),
        (b'{"pipeline_input": [1, -Infinity]}', "-Infinity is not a JSON number"),
        (b'{"pipeline_input": 1e999}', "too large for a 64-bit float"),
        (b'{"pipeline_input": ' + b"9" * 5000 + b"}", "more than 4300 digits"),
        (b"null", "must be a JSON object, not null"),
        (b"[]", "must be a JSON object, not an array"),
    ],
)
def test_inputs_are_strict_json(http: FlaskClient, body: bytes, needle: str) -> None:
    assert_refused(http.post("/pipelines/echo/main", data=body), 400, needle)


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("nan", "result[2][1] is NaN"),
        ("infinity", "result['scores'][0] is Infinity"),
        ("huge", "result is an integer of more than 4300 digits"),
    ],
)
def test_outputs_that_are_not_strict_json_are_a_422_naming_where(
    http: FlaskClient, kind: str, needle: str
) -> None:
    body = assert_refused(http.post("/pipelines/wild/main", json={"pipeline_input": kind}), 422)
    assert body["error"] == "OutputNotJSON"
    assert needle in body["message"]
    assert "pipeline 'wild'" in body["message"]


def test_a_stored_result_that_is_not_strict_json_is_a_422_not_bare_nan(
    app: PipelinesServer, http: FlaskClient
) -> None:
    store = app.job_store
    assert store is not None
    if store.database.dialect_name == "postgresql":
        pytest.skip("PostgreSQL refuses NaN in a JSON column: no such record can be made there")
    job = store.create(app.name, "echo")
    store.claim(job.id, "a-worker")
    with pytest.raises(StatementError, match="Out of range float values"):  # refused today
        store.finish(job.id, "a-worker", JobStatus.done, result={"loss": float("nan")})
    # a record written before results were kept as strict JSON text
    with store.database.session() as session:
        session.execute(
            text("UPDATE chariots_jobs SET status = 'done', result = :nan WHERE id = :id"),
            {"nan": '{"loss": NaN}', "id": job.id},
        )
    for answer in (http.get(f"/jobs/{job.id}"), http.post("/jobs/fetch/", json={"job_id": job.id})):
        body = assert_refused(answer, 422, "['loss'] is NaN")
        assert body["error"] == "OutputNotJSON"
    listed = http.get("/jobs")
    assert_refused(listed, 422, "is NaN")


def test_the_contract_cases_schemathesis_found(http: FlaskClient) -> None:
    assert_refused(http.post("/pipelines/echo/versions", json={"extra": 1}), 400, "unexpected")
    assert_refused(http.post("/pipelines/echo/main", data=b"null"), 400, "not null")
    assert_refused(http.post("/jobs/fetch/", json={"job_id": ""}), 400, "must name the job")
    answer = http.post("/jobs")
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert http.post("/pipelines/echo/versions", json={}).status_code == 200
    assert http.post("/pipelines/echo/versions").status_code == 200  # no body is {}


def test_an_unexpected_error_is_a_500_that_says_only_that(
    app: PipelinesServer, http: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**filters: Any) -> Any:
        raise RuntimeError("SELECT password FROM users; see /srv/app/secrets.py")

    app.list_jobs = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="chariots_core.server"):
        answer = http.get("/jobs")
    body = assert_refused(answer, 500, "failed unexpectedly")
    assert body == {
        "error": "InternalServerError",
        "message": "the server failed unexpectedly; its log holds the details",
    }
    assert "SELECT password" in caplog.text  # the details are in the server's log


def test_the_op_store_refuses_versions_with_a_creation_time_that_is_not_finite(
    op_store_http: FlaskClient,
) -> None:
    for time in ("nan", "inf", "-inf", "1e400", "1e99999"):
        text = "_".join([VERSION.major, VERSION.minor, VERSION.patch, time])
        answer = op_store_http.post(
            "/v1/save_op_bytes",
            data=b"x",
            query_string={"op_name": "op", "version": text, "class_version": str(VERSION)},
        )
        assert_refused(answer, 400, "bad creation time")
        answer = op_store_http.post(
            "/v1/get_op_bytes_for_version", json={"op_name": "op", "version": text}
        )
        assert_refused(answer, 400, "bad creation time")


def test_an_op_name_too_long_for_a_file_name_is_kept_all_the_same(
    store: OpStore, op_store_http: FlaskClient
) -> None:
    name = "é" * 255  # 510 bytes in UTF-8: more than a file name may hold
    query = {"op_name": name, "version": str(VERSION), "class_version": str(VERSION)}
    answer = op_store_http.post("/v1/save_op_bytes", data=b"model", query_string=query)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert store.get_op_bytes_for_version(name, VERSION) == b"model"
    assert_refused(
        op_store_http.post("/v1/get_all_versions_of_op", json={"op_name": "é" * 256}),
        400,
        "longer than 255 characters",
    )


@pytest.mark.parametrize("name", ["nul\x00byte", "bell\x07", "\x9b"])
def test_names_with_control_characters_are_a_400_on_postgresql_too(
    op_store_http: FlaskClient, name: str
) -> None:
    for route, body in [
        ("/v1/get_all_versions_of_op", {"op_name": name}),
        ("/v1/pipeline_exists", {"pipeline_name": name}),
        ("/v1/register_new_pipeline", {"pipeline_name": name, "op_names": []}),
    ]:
        assert_refused(op_store_http.post(route, json=body), 400, "control characters")


def test_a_client_reads_the_422_as_its_exception(app: PipelinesServer) -> None:
    from chariots_core.errors import OutputNotJSON

    with pytest.raises(OutputNotJSON, match=r"result\[2\]\[1\] is NaN"):
        TestPipelinesClient(app).call_pipeline("wild", "nan")
