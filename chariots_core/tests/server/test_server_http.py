"""The pipelines server's HTTP contract: routes, JSON shapes and error statuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _job_rows import add_jobs

from chariots_core.errors import (
    BadRequest,
    JobNotFound,
    PipelineExecutionError,
    PipelineNotFound,
    RemoteError,
    RequestTooLarge,
)
from chariots_core.jobs import COUNT_AHEAD, JobStatus
from chariots_core.op_store import OpStore
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestPipelinesClient


class AddOne(BaseOp):
    def execute(self, number: int) -> int:
        return number + 1


class Explode(BaseOp):
    def execute(self, value: Any) -> Any:
        raise ZeroDivisionError("the op divided by zero")


class Square(BaseOp):
    def execute(self, values: list[float]) -> Any:
        return np.asarray(values) ** 2


def _pipeline(name: str, op: BaseOp, use_worker: bool | None = None) -> Pipeline:
    return Pipeline(
        [Node(op, input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")],
        name,
        use_worker=use_worker,
    )


@pytest.fixture
def app(tmp_path: Path) -> PipelinesServer:
    store = OpStore(path=tmp_path)
    return PipelinesServer(
        [
            _pipeline("add_one", AddOne()),
            _pipeline("explode", Explode()),
            _pipeline("square", Square()),
            _pipeline("in_worker", AddOne(), use_worker=True),
        ],
        op_store_client=store,
        import_name="http_contract",
        max_request_bytes=4096,
    )


@pytest.fixture(autouse=True)
def _stop_default_pool(app: PipelinesServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CHARIOTS_WORKER_POOL", raising=False)
    yield
    if app.has_worker_pool:
        app.worker_pool.stop_workers()
        app.worker_pool.close()


@pytest.fixture
def http(app: PipelinesServer) -> Any:
    return app.test_client()


def test_routes_answer_json(http: Any) -> None:
    assert http.get("/health_check").get_json()["status"] == "ok"
    assert http.get("/available_pipelines").get_json() == [
        "add_one",
        "explode",
        "in_worker",
        "square",
    ]
    answer = http.post("/pipelines/add_one/main", json={"pipeline_input": 41})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["pipeline_output"] == 42
    assert set(body["versions"]) == {"addone"}
    assert body["job_id"] is None
    versions = http.post("/pipelines/add_one/versions").get_json()
    assert versions == body["versions"]
    assert http.get("/pipelines/add_one/health_check").get_json() == {
        "name": "add_one",
        "is_loaded": False,
    }
    assert http.post("/pipelines/add_one/load").status_code == 200
    assert http.get("/pipelines/add_one/health_check").get_json()["is_loaded"] is True
    assert http.post("/pipelines/add_one/save").status_code == 200


def test_a_call_run_in_the_server_answers_done(app: PipelinesServer, http: Any) -> None:
    body = http.post("/pipelines/add_one/main", json={"pipeline_input": 1}).get_json()
    assert (body["job_status"], body["job_id"]) == ("done", None)
    response = TestPipelinesClient(app).call_pipeline("add_one", 1)
    assert (response.job_status, response.value) == (JobStatus.done, 2)
    assert app.call_pipeline("add_one", 1).job_status is JobStatus.done


@pytest.mark.parametrize(
    ("path", "method", "kwargs", "status", "needle"),
    [
        ("/pipelines/nope/main", "post", {"json": {}}, 404, "no pipeline named 'nope'"),
        ("/pipelines/nope/health_check", "get", {}, 404, "no pipeline named 'nope'"),
        ("/pipelines/nope/load", "post", {}, 404, "no pipeline named 'nope'"),
        ("/pipelines/add_one/main", "post", {"data": b"{not json"}, 400, "not valid JSON"),
        ("/pipelines/add_one/main", "post", {"json": [1, 2]}, 400, "must be a JSON object"),
        ("/pipelines/add_one/main", "post", {"json": {"input": 1}}, 400, "unexpected keys"),
        (
            "/pipelines/add_one/main",
            "post",
            {"json": {"pipeline_input": 1, "use_worker": "yes"}},
            400,
            "'use_worker' must be",
        ),
        ("/pipelines/add_one/main", "post", {"data": b"x" * 5000}, 413, "large"),
        ("/pipelines/add_one/main", "get", {}, 405, "not allowed"),
        ("/no/such/route", "get", {}, 404, "not found"),
        (
            "/pipelines/add_one/main",
            "post",
            {"json": {"pipeline_input": 1, "use_worker": True, "job_options": {"speed": 2}}},
            400,
            "unknown job options ['speed']",
        ),
        (
            "/pipelines/add_one/main",
            "post",
            {"json": {"pipeline_input": 1, "use_worker": True, "job_options": {"retries": -1}}},
            400,
            "'retries' must be an integer >= 0",
        ),
        ("/jobs/0123abcd", "get", {}, 404, "no job with id '0123abcd'"),
        ("/jobs/0123abcd/cancel", "post", {}, 404, "no job with id"),
        ("/jobs/0123abcd/wait?timeout=-1", "get", {}, 400, "'timeout' must be >= 0"),
        ("/jobs/0123abcd/wait?timeout=soon", "get", {}, 400, "must be a number"),
        ("/jobs/fetch/", "post", {"json": {}}, 400, "must name the job"),
        ("/jobs/fetch/", "post", {"json": {"job_id": "0123abcd"}}, 404, "no job with id"),
        ("/jobs?status=sleeping", "get", {}, 400, "unknown status 'sleeping'"),
        ("/jobs?limit=0", "get", {}, 400, "'limit' must be between 1 and 1000"),
    ],
)
def test_bad_input_gets_a_clear_error_never_a_500(
    http: Any, path: str, method: str, kwargs: dict[str, Any], status: int, needle: str
) -> None:
    answer = getattr(http, method)(path, **kwargs)
    assert answer.status_code == status
    body = answer.get_json()
    assert needle.lower() in body["message"].lower(), body
    assert "Traceback" not in answer.get_data(as_text=True)


def test_a_failing_pipeline_answers_its_error_without_a_traceback(http: Any) -> None:
    answer = http.post("/pipelines/explode/main", json={"pipeline_input": 1})
    assert answer.status_code == 500
    body = answer.get_json()
    assert body["error"] == "PipelineExecutionError"
    assert "ZeroDivisionError: the op divided by zero" in body["message"]
    assert "Traceback" not in answer.get_data(as_text=True)


def test_the_server_stays_usable_after_bad_requests(http: Any) -> None:
    for _ in range(3):
        http.post("/pipelines/add_one/main", data=b"][")
        http.post("/pipelines/explode/main", json={"pipeline_input": 1})
    assert (
        http.post("/pipelines/add_one/main", json={"pipeline_input": 1}).get_json()[
            "pipeline_output"
        ]
        == 2
    )


def test_numpy_outputs_are_served_as_json_lists(app: PipelinesServer) -> None:
    client = TestPipelinesClient(app)
    assert client.call_pipeline("square", [1.0, 2.0, 3.0]).value == [1.0, 4.0, 9.0]


def test_client_errors_map_to_python_exceptions(app: PipelinesServer) -> None:
    client = TestPipelinesClient(app)
    with pytest.raises(PipelineNotFound, match="no pipeline named 'missing'"):
        client.call_pipeline("missing", 1)
    with pytest.raises(JobNotFound, match="no job with id 'feed'"):
        client.fetch_job("feed")
    with pytest.raises(BadRequest, match="unknown job options"):
        client.call_pipeline("add_one", 1, use_worker=True, job_options={"speed": 2})
    with pytest.raises(PipelineExecutionError, match="divided by zero"):
        client.call_pipeline("explode", 1)
    with pytest.raises(RequestTooLarge):
        client.call_pipeline("add_one", "x" * 5000)
    assert client.call_pipeline("add_one", 1, use_worker=False).value == 2


def test_unknown_error_statuses_become_remote_errors(app: PipelinesServer) -> None:
    @app.route("/teapot")
    def teapot() -> Any:
        return {"error": "Teapot", "message": "short and stout"}, 418

    client = TestPipelinesClient(app)
    with pytest.raises(RemoteError, match="short and stout") as raised:
        client._transport.call("GET", "/teapot")
    assert raised.value.http_status == 418


def test_a_server_given_no_pool_runs_jobs_on_the_embedded_default(app: PipelinesServer) -> None:
    client = TestPipelinesClient(app)
    submitted = client.call_pipeline("in_worker", 41)
    assert submitted.job_id is not None
    assert submitted.job_status is JobStatus.queued
    finished = client.wait_for_job(submitted.job_id, timeout=60)
    assert finished.job_status is JobStatus.done, finished
    assert finished.value == 42
    assert type(app.worker_pool).__name__ == "EmbeddedWorkerPool"
    assert app.worker_pool.n_workers == 2


def test_non_json_input_is_refused_at_submit(app: PipelinesServer) -> None:
    with pytest.raises(BadRequest, match="JSON-serialisable"):
        app.call_pipeline("in_worker", float("nan"))
    with pytest.raises(BadRequest, match="JSON-serialisable"):
        app.call_pipeline("in_worker", object())
    page = app.list_jobs()
    assert (page.jobs, page.total) == ([], 0)  # nothing was recorded


def test_the_openapi_document_lists_every_route(http: Any) -> None:
    document = http.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    rules = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = {
        (method, rule.rule.replace("<", "{").replace(">", "}"))
        for rule in http.application.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.endpoint not in {"static", "openapi"}
    }
    assert served == rules
    main = document["paths"]["/pipelines/{pipeline_name}/main"]["post"]
    assert {"400", "404", "413", "419"} <= set(main["responses"])


def test_pipeline_names_are_unique_in_an_app(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="two pipelines of this app are named 'add_one'"):
        PipelinesServer(
            [_pipeline("add_one", AddOne()), _pipeline("add_one", AddOne())],
            op_store_client=OpStore(path=tmp_path),
            import_name="dupes",
        )


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"delay": 1e300}, "'delay' must be"),
        ({"ttl": 1e300}, "'ttl' must be"),
        ({"timeout": 1e300}, "'timeout' must be"),
        ({"retry_interval": 1e300}, "'retry_interval' must be"),
        ({"priority": 2**70}, "'priority' must be"),
        ({"retries": 10**9}, "'retries' must be"),
    ],
)
def test_job_options_out_of_range_are_400s_and_record_nothing(
    app: PipelinesServer, http: Any, options: dict[str, Any], needle: str
) -> None:
    """Values a database or a clock cannot honour (a date past year 9999, an integer past 64
    bits) are refused at submit, naming the option and its range; no job is recorded."""
    answer = http.post(
        "/pipelines/add_one/main",
        json={"pipeline_input": 1, "use_worker": True, "job_options": options},
    )

    assert answer.status_code == 400
    message = answer.get_json()["message"]
    assert needle in message, message
    assert "between" in message, message
    assert app.list_jobs().total == 0


def test_a_long_listing_counts_up_to_a_bound_and_pages_to_its_end(
    app: PipelinesServer, http: Any
) -> None:
    """Past the bound, ``total`` is a lower bound that says more jobs follow; the client reads
    every job, once, by following ``next_offset``."""
    assert app.job_store is not None
    keys = add_jobs(app.job_store, COUNT_AHEAD + 70, app=app.name, pipeline="add_one")
    add_jobs(app.job_store, 5, app=app.name, pipeline="add_one", status=JobStatus.failed)

    answer = http.get("/jobs", query_string={"status": "done"})
    assert answer.status_code == 200
    first = answer.get_json()
    assert (first["total"], first["total_exact"]) == (50 + COUNT_AHEAD, False)
    assert (first["limit"], first["offset"]) == (50, 0)
    assert [job["id"] for job in first["jobs"]] == [job_id for _, job_id in keys[:50]]

    client = TestPipelinesClient(app)
    pages = [client.job_page(status=JobStatus.done, limit=400)]
    while pages[-1].next_offset is not None:
        pages.append(
            client.job_page(status=JobStatus.done, limit=400, offset=pages[-1].next_offset)
        )
    assert [job.id for page in pages for job in page.jobs] == [job_id for _, job_id in keys]
    assert [page.total_exact for page in pages] == [True] * len(pages)  # 400 + 1000 > 1070
    assert client.list_jobs(status=JobStatus.done, limit=2) == pages[0].jobs[:2]
    small = client.job_page(status=JobStatus.done, limit=10, offset=30)
    assert (small.total, small.total_exact, small.next_offset) == (40 + COUNT_AHEAD, False, 40)
