"""A job's end is recorded exactly, or the job fails once saying why; and no job runs without
bound (part of "no job left behind")."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DataError

sys.path.insert(0, str(Path(__file__).with_name("apps")))

from worker_test_pipelines import make_app

from chariots_core.errors import JobCancelled
from chariots_core.jobs import JobMessage, JobOptions, JobStatus, JobStore
from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import MessageAction, raise_in_job, run_job
from chariots_core.workers.embedded import EmbeddedWorkerPool


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> JobStore:
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param]
    return JobStore(request.getfixturevalue(fixture))


@pytest.mark.parametrize("value", [2**64 + 1, 10**1000 + 1, -(2**70), [2**64, {"k": 10**30}]])
def test_results_read_back_exactly_as_they_were(store: JobStore, value: Any) -> None:
    job = store.create("app", "pipeline")
    assert store.claim(job.id, "worker") is not None

    store.finish(job.id, "worker", JobStatus.done, result=value)

    assert store.get(job.id).result == value
    assert type(store.get(job.id).result) is type(value)


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Iterator[PipelinesServer]:
    server = make_app(
        sqlite_url,
        tmp_path / "ops",
        f"ends_{uuid.uuid4().hex[:8]}",
        EmbeddedWorkerPool(autostart=0),
    )
    yield server
    server.op_store_client.close()


def message_of(app: PipelinesServer, pipeline: str, value: Any, **options: Any) -> JobMessage:
    job = app.submit_job(pipeline, value, JobOptions(**options))
    return JobMessage(job.id, app.name, pipeline, value, JobOptions(**options))


def test_a_run_whose_end_the_store_refuses_fails_the_job_once_saying_why(
    app: PipelinesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = app.job_store
    assert store is not None
    finish = store.finish

    def refusing_results(*args: Any, **kwargs: Any) -> bool:  # as PostgreSQL refuses some
        if kwargs.get("result") is not None:
            raise DataError("INSERT …", {}, Exception("invalid input syntax for type json"))
        return finish(*args, **kwargs)

    monkeypatch.setattr(store, "finish", refusing_results)
    message = message_of(app, "add_one", 1, retries=3)

    outcome = run_job(message, "worker-a")

    job = app.get_job(message.job_id)
    assert (outcome.action, outcome.status, job.status, job.attempts) == (
        MessageAction.ack,
        JobStatus.failed,
        JobStatus.failed,
        1,
    )
    assert job.error is not None
    assert job.error["type"] == "EndNotRecorded"
    assert "ended done, but the job store refused to record it: DataError" in str(
        job.error["message"]
    )


def test_a_pipeline_output_that_is_not_strict_json_fails_the_job_naming_where(
    app: PipelinesServer,
) -> None:
    message = message_of(app, "not_json", None)  # its output holds NaN

    outcome = run_job(message, "worker-a")

    job = app.get_job(message.job_id)
    assert (outcome.status, job.status, job.result) == (JobStatus.failed, JobStatus.failed, None)
    assert job.error is not None
    assert job.error["type"] == "NotStrictJSON"
    assert "result[1] is NaN" in str(job.error["message"])


def test_a_job_whose_workers_keep_dying_runs_at_most_its_runs_and_ends_lost(
    app: PipelinesServer,
) -> None:
    message = message_of(app, "add_one", 1, retries=2)
    store = app.job_store
    assert store is not None
    for attempt in range(3):  # runs whose workers died: each claimed, never ended
        assert store.claim(message.job_id, f"dead-{attempt}") is not None
        taken = store.worker_gone(message.job_id, f"dead-{attempt}", "killed by the test")
        assert taken is (JobStatus.queued if attempt < 2 else JobStatus.lost)

    outcome = run_job(message, "worker-a")  # the broker delivers it once more

    job = app.get_job(message.job_id)
    assert (outcome.action, outcome.ran, job.status, job.attempts) == (
        MessageAction.drop,
        False,
        JobStatus.lost,
        3,
    )
    assert job.error is not None
    assert job.error["type"] == "WorkerLost"
    assert "killed by the test; the job has no run left" in str(job.error["message"])


def test_a_stop_that_comes_while_the_end_is_recorded_does_not_fail_the_job(
    app: PipelinesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backend's revoke is a signal: it may land while the runtime writes the job's end. There
    it waits for a next node that never comes, and the end is recorded as it was."""
    store = app.job_store
    assert store is not None
    finish = store.finish

    def finish_under_a_revoke(*args: Any, **kwargs: Any) -> bool:
        raise_in_job(JobCancelled("the job was revoked: stopped in its node"))
        return finish(*args, **kwargs)

    monkeypatch.setattr(store, "finish", finish_under_a_revoke)
    message = message_of(app, "add_one", 1)

    outcome = run_job(message, "worker-a")

    job = app.get_job(message.job_id)
    assert (outcome.status, job.status, job.result, job.error) == (
        JobStatus.done,
        JobStatus.done,
        2,
        None,
    )


def test_a_stop_that_comes_before_the_first_node_stops_the_job_there(
    app: PipelinesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = app.job_store
    assert store is not None
    claim = store.claim

    def claim_under_a_revoke(*args: Any, **kwargs: Any) -> Any:
        claimed = claim(*args, **kwargs)
        raise_in_job(JobCancelled("the job was revoked: stopped in its node"))
        return claimed

    monkeypatch.setattr(store, "claim", claim_under_a_revoke)
    message = message_of(app, "add_one", 1)

    outcome = run_job(message, "worker-a")

    job = app.get_job(message.job_id)
    assert (outcome.status, job.status, job.progress) == (
        JobStatus.cancelled,
        JobStatus.cancelled,
        (0, 1),
    )
    # the next job of this thread does not inherit the stop
    following = message_of(app, "add_one", 5)
    monkeypatch.setattr(store, "claim", claim)
    assert run_job(following, "worker-a").status is JobStatus.done
