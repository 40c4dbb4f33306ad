"""What the runtime tells a pool to do with each message (ack, later, drop), failing a run from
outside the job (``fail_run``), and work horses killed at a job's timeout."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).with_name("apps")))

from worker_test_pipelines import make_app

from chariots_core.errors import JobCancelled, JobTimeout, WorkerStopped, WorkHorseDied
from chariots_core.jobs import Job, JobMessage, JobOptions, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import (
    MessageAction,
    fail_run,
    hookimpl,
    register_observer,
    run_job,
    unregister_observer,
)
from chariots_core.workers.embedded import EmbeddedWorkerPool
from chariots_core.workers.kit import run_in_work_horse


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Iterator[PipelinesServer]:
    """The test app on an embedded pool without workers: the tests hand messages over."""
    pool = EmbeddedWorkerPool(autostart=0)
    server = make_app(
        sqlite_url, tmp_path / "ops", f"kit_test_{uuid.uuid4().hex[:8]}", pool, heartbeat_timeout=5
    )
    yield server
    pool.stop_workers(timeout=10)
    server.op_store_client.close()


def message_of(app: PipelinesServer, job: Job, value: Any, **options: Any) -> JobMessage:
    return JobMessage(job.id, app.name, job.pipeline, value, JobOptions(**options))


def submitted(app: PipelinesServer, pipeline: str, value: Any, **options: Any) -> JobMessage:
    job = app.submit_job(pipeline, value, JobOptions(**options))
    return message_of(app, job, value, **options)


class Finished:
    """An observer counting the ``chariots_job_finished`` hooks."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    @hookimpl
    def chariots_job_finished(self, job: Job) -> None:
        self.jobs.append(job)


@pytest.fixture
def finished() -> Iterator[Finished]:
    observer = Finished()
    register_observer(observer)
    yield observer
    unregister_observer(observer)


# -- run_job's outcomes ----------------------------------------------------------------------------


def test_a_run_that_ends_is_acknowledged(app: PipelinesServer) -> None:
    message = submitted(app, "add_one", 1)

    outcome = run_job(message.to_json(), "worker-a")

    assert (outcome.action, outcome.ran, outcome.status) == (
        MessageAction.ack,
        True,
        JobStatus.done,
    )
    assert app.get_job(message.job_id).result == 2


def test_a_failed_run_with_retries_left_comes_back_after_its_interval(
    app: PipelinesServer,
) -> None:
    message = submitted(app, "explode", 1, retries=1, retry_interval=2.5)

    outcome = run_job(message, "worker-a")

    assert (outcome.action, outcome.delay, outcome.retry) == (MessageAction.later, 2.5, True)
    assert app.get_job(message.job_id).status is JobStatus.queued
    last = run_job(message, "worker-a")
    assert (last.action, last.status) == (MessageAction.ack, JobStatus.failed)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"job_id": "x"}'])
def test_a_message_that_is_no_job_message_is_dropped(text: str) -> None:
    outcome = run_job(text, "worker-a")

    assert (outcome.action, outcome.ran) == (MessageAction.drop, False)
    assert outcome.reason.startswith("not a job message")


def test_messages_of_unknown_jobs_apps_and_finished_or_cancelled_jobs_are_dropped(
    app: PipelinesServer,
) -> None:
    unknown_job = JobMessage(uuid.uuid4().hex, app.name, "add_one", 1)
    unknown_app = JobMessage(uuid.uuid4().hex, "no_such_app", "add_one", 1)
    done = submitted(app, "add_one", 1)
    run_job(done, "worker-a")
    cancelled = submitted(app, "add_one", 1)
    app.cancel_job(cancelled.job_id)

    outcomes = [
        run_job(message, "worker-b") for message in (unknown_job, unknown_app, done, cancelled)
    ]

    assert [outcome.action for outcome in outcomes] == [MessageAction.drop] * 4
    assert [outcome.reason for outcome in outcomes] == [
        f"no such job in the app's job store (no job with id {unknown_job.job_id!r})",
        "unknown app 'no_such_app'",
        "the job is done",
        "the job was cancelled",
    ]


def test_a_job_held_by_a_live_worker_comes_back_once_it_could_be_taken_over(
    app: PipelinesServer,
) -> None:
    message = submitted(app, "add_one", 1)
    store = app.job_store
    assert store is not None
    assert store.claim(message.job_id, "worker-a") is not None  # worker-a runs it, alive

    outcome = run_job(message, "worker-b")

    assert outcome.action is MessageAction.later
    assert 4.5 < outcome.delay <= 5.05  # the heartbeat timeout, less the beat's age
    assert "running in worker worker-a" in outcome.reason


def test_a_delivery_before_the_jobs_delay_comes_back_when_due(app: PipelinesServer) -> None:
    message = submitted(app, "add_one", 1, delay=60)

    outcome = run_job(message, "worker-a")

    assert (outcome.action, outcome.ran) == (MessageAction.later, False)
    assert 55 < outcome.delay <= 60
    assert app.get_job(message.job_id).status is JobStatus.queued


# -- fail_run --------------------------------------------------------------------------------------


def claimed(app: PipelinesServer, pipeline: str, worker_id: str, **options: Any) -> JobMessage:
    message = submitted(app, pipeline, 1, **options)
    assert app.job_store is not None
    assert app.job_store.claim(message.job_id, worker_id) is not None
    return message


def test_fail_run_records_the_error_and_fires_the_hook(
    app: PipelinesServer, finished: Finished
) -> None:
    message = claimed(app, "add_one", "worker-a")

    outcome = fail_run(message, "worker-a", JobTimeout("too slow"))

    job = app.get_job(message.job_id)
    assert (outcome.action, outcome.status, job.status) == (
        MessageAction.ack,
        JobStatus.failed,
        JobStatus.failed,
    )
    assert job.error is not None
    assert (job.error["type"], job.error["message"]) == ("JobTimeout", "too slow")
    assert [done.id for done in finished.jobs] == [message.job_id]


def test_fail_run_applies_the_jobs_retries(app: PipelinesServer) -> None:
    message = claimed(app, "add_one", "worker-a", retries=1, retry_interval=0.5)

    outcome = fail_run(message, "worker-a", WorkHorseDied("killed by SIGKILL"))

    assert (outcome.action, outcome.delay, outcome.retry) == (MessageAction.later, 0.5, True)
    job = app.get_job(message.job_id)
    assert (job.status, job.attempts) == (JobStatus.queued, 1)


@pytest.mark.parametrize(
    ("error", "retries", "status"),
    [
        (JobCancelled("stopped"), 3, JobStatus.cancelled),
        (WorkerStopped("gone"), 0, JobStatus.lost),
        (WorkerStopped("gone"), 3, JobStatus.queued),  # to run again: not lost, not finished
    ],
)
def test_a_cancel_or_a_stopped_worker_ends_the_run_as_such(
    app: PipelinesServer, error: Exception, retries: int, status: JobStatus
) -> None:
    message = claimed(app, "add_one", "worker-a", retries=retries)

    outcome = fail_run(message, "worker-a", error, native_status="seen by the backend")

    job = app.get_job(message.job_id)
    assert (outcome.status, job.status, job.native_status) == (
        status,
        status,
        "seen by the backend",
    )


def test_fail_run_leaves_another_workers_run_alone(app: PipelinesServer) -> None:
    message = claimed(app, "add_one", "worker-a")

    outcome = fail_run(message, "worker-b", JobTimeout("not yours"))

    assert outcome.action is MessageAction.drop
    assert app.get_job(message.job_id).status is JobStatus.running


def test_fail_run_of_a_job_no_run_claimed_fails_the_job(app: PipelinesServer) -> None:
    message = submitted(app, "add_one", 1)

    outcome = fail_run(message, "worker-a", WorkHorseDied("died before it claimed"))

    job = app.get_job(message.job_id)
    assert (outcome.ran, job.status, job.attempts) == (False, JobStatus.failed, 0)


# -- work horses -----------------------------------------------------------------------------------


def test_a_work_horse_past_its_timeout_is_killed_and_the_jobs_retries_apply(
    app: PipelinesServer, tmp_path: Path
) -> None:
    release = tmp_path / "never"
    spec = {"release": str(release), "value": 1}
    message = submitted(app, "hold", spec, timeout=0.5, retries=1, retry_interval=0.1)
    beats: list[int] = []

    outcome = run_in_work_horse(message, "worker-a", lambda: beats.append(1))

    assert (outcome.action, outcome.retry) == (MessageAction.later, True)
    job = app.get_job(message.job_id)
    assert (job.status, job.attempts) == (JobStatus.queued, 1)
    assert job.error is not None
    assert job.error["type"] == "JobTimeout"
    assert beats, "the worker's heartbeat is called while it waits for its horse"
    again = run_in_work_horse(message, "worker-a")
    assert again.status is JobStatus.failed
    assert app.get_job(message.job_id).attempts == 2


def test_a_work_horse_gives_back_its_runs_outcome(app: PipelinesServer) -> None:
    message = submitted(app, "add_one", 41)

    outcome = run_in_work_horse(message, "worker-a")

    assert (outcome.action, outcome.status) == (MessageAction.ack, JobStatus.done)
    assert app.get_job(message.job_id).result == 42


def test_a_backend_s_word_that_a_worker_abandoned_the_job_ends_only_that_worker_s_run(
    app: PipelinesServer,
) -> None:
    """RQ names the dead worker, not its pid: the run ended is the one whose worker id names it;
    a run of another worker (the job was sent again since) is left alone, as is a live run when
    the backend names no worker."""
    message = claimed(app, "add_one", "host:1:rq-alive", retries=1)
    abandoned = WorkerStopped("abandoned")

    assert fail_run(message, None, abandoned, worker_suffix=":rq-dead").action is (
        MessageAction.drop
    )
    assert fail_run(message, None, abandoned).action is MessageAction.drop  # it beats
    assert app.get_job(message.job_id).status is JobStatus.running

    outcome = fail_run(message, None, abandoned, worker_suffix=":rq-alive")
    assert (outcome.status, app.get_job(message.job_id).status) == (
        JobStatus.queued,
        JobStatus.queued,
    )
