"""A job submitted where no worker listens says so, and a wait that ends first says so too."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _polling import eventually

from chariots_core.jobs import JobStatus
from chariots_core.op_store import OpStore
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines._listeners import ListenerCheck
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestPipelinesClient


class AddOne(BaseOp):
    def execute(self, number: int) -> int:
        return number + 1


def _app(folder: Path, worker_pool: str) -> PipelinesServer:
    pipeline = Pipeline(
        [Node(AddOne(), input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")],
        "add_one",
        use_worker=True,
    )
    return PipelinesServer(
        [pipeline],
        op_store_client=OpStore(path=folder),
        import_name="listening_app",
        worker_pool=worker_pool,
    )


@pytest.fixture
def lonely_app(tmp_path: Path) -> Iterator[PipelinesServer]:
    """An app whose workers would be `chariots worker` processes, none of them started."""
    app = _app(tmp_path, "embedded://?autostart=0")
    yield app
    app.worker_pool.close()
    app.op_store_client.close()


def test_a_submission_nobody_listens_to_is_logged_and_answered_with_a_warning(
    lonely_app: PipelinesServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestPipelinesClient(lonely_app)
    with caplog.at_level(logging.WARNING, logger="chariots_core"):
        submitted = client.call_pipeline("add_one", 1)
    assert submitted.job_status is JobStatus.queued
    assert len(submitted.warnings) == 1
    assert "no worker listens" in submitted.warnings[0]
    assert submitted.job_id in submitted.warnings[0]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == (
        submitted.warnings
    )
    raw = client._transport.call("POST", "/pipelines/add_one/main", {"pipeline_input": 1})
    assert "no worker listens" in raw["warnings"][0]


def test_a_wait_that_ends_first_is_told_apart_in_python_and_over_http(
    lonely_app: PipelinesServer,
) -> None:
    client = TestPipelinesClient(lonely_app)
    job_id = client.call_pipeline("add_one", 1).job_id
    assert job_id is not None
    waited = client.wait_for_job(job_id, timeout=0.2)
    assert waited.timed_out is True
    assert waited.job_status is JobStatus.queued
    raw = client._transport.call("GET", f"/jobs/{job_id}/wait", params={"timeout": 0.1})
    assert raw["timed_out"] is True
    assert raw["status"] == "queued"


def test_a_submission_with_a_worker_has_no_warning_and_its_wait_did_not_time_out(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, "embedded")
    try:
        client = TestPipelinesClient(app)
        submitted = client.call_pipeline("add_one", 1)
        assert submitted.warnings == []
        assert "warnings" not in submitted.to_json()
        assert submitted.job_id is not None
        done = client.wait_for_job(submitted.job_id, timeout=30)
        assert (done.job_status, done.value, done.timed_out) == (JobStatus.done, 2, False)
        raw = client._transport.call("GET", f"/jobs/{submitted.job_id}/wait")
        assert raw["timed_out"] is False
    finally:
        app.worker_pool.close()
        app.op_store_client.close()


def test_the_openapi_document_describes_warnings_and_timed_out(
    lonely_app: PipelinesServer,
) -> None:
    document = TestPipelinesClient(lonely_app)._transport.call("GET", "/openapi.json")
    schemas = document["components"]["schemas"]
    assert "warnings" in schemas["PipelineResponse"]["properties"]
    waited = document["paths"]["/jobs/{job_id}/wait"]["get"]["responses"]["200"]
    assert waited["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WaitedJob"
    }
    assert "timed_out" in schemas["WaitedJob"]["allOf"][1]["properties"]


class _SlowCountingPool:
    """A pool whose count of workers waits for the test (as Celery's waits for answers)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    @property
    def n_workers(self) -> int:
        assert self.release.wait(30)
        return 0

    def describe(self) -> str:
        return "slow pool"


def test_a_slow_count_does_not_hold_the_submission_and_still_logs_its_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = _SlowCountingPool()
    check = ListenerCheck()
    with caplog.at_level(logging.WARNING, logger="chariots_core"):
        started = time.monotonic()
        assert check.warning(pool, "job-1") is None  # type: ignore[arg-type]
        assert time.monotonic() - started < 5
        assert check.warning(pool, "job-2") is None  # type: ignore[arg-type]  # one count at once
        pool.release.set()
        eventually(
            lambda: any("job job-1 stays queued" in r.getMessage() for r in caplog.records),
            what="the late warning logged",
        )
    assert not any("job-2" in r.getMessage() for r in caplog.records)
