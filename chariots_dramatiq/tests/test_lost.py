"""A ``chariots worker`` killed with SIGKILL in the middle of a job: RabbitMQ re-delivers its
message at once (the connection closed), and a job with a retry runs again once its heartbeat is
stale; Dramatiq's Redis broker re-delivers it once the dead worker's Redis heartbeat is
``heartbeat_timeout`` old and a command draws maintenance (``maintenance_chance``). A job with
no retry ends ``lost`` (the core's recovery sends a job with one again, whatever the broker
does: the conformance suite shows it)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from dramatiq_test_support import FAST, AppAndWorker

from chariots_core.jobs import JobOptions, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE, eventually

HEARTBEAT_TIMEOUT = 2.0


def kill_mid_job(
    app_with_worker: Callable[..., AppAndWorker],
    url: str,
    tmp_path: Path,
    options: JobOptions | None = None,
) -> tuple[PipelinesServer, str, int]:
    """Start the test app and ``chariots worker`` on ``url`` (a short heartbeat timeout for
    both), give it a long job that runs again quickly, and kill the worker and its work horse
    with SIGKILL once the job runs; the app, the job's id and its first pid."""
    app, worker = app_with_worker(url, heartbeat_timeout=HEARTBEAT_TIMEOUT)
    pid_file, runs = tmp_path / "job.pid", tmp_path / "runs"
    spec = {"seconds": 120, "pid_file": str(pid_file), "runs": str(runs), "first_run_only": True}
    job = app.submit_job("sleep", spec, options)
    eventually(pid_file.exists, what="the job started")
    horse = int(pid_file.read_text())
    assert horse != worker.pid  # a work horse
    for pid in (worker.pid, horse):
        os.kill(pid, signal.SIGKILL)
    worker.process.wait(timeout=DEADLINE)
    return app, job.id, horse


@pytest.mark.parametrize("broker", ["amqp", "tuned redis"])
def test_a_killed_workers_message_is_redelivered_and_its_job_runs_again(
    broker: str,
    request: pytest.FixtureRequest,
    app_with_worker: Callable[..., AppAndWorker],
    tmp_path: Path,
) -> None:
    if broker == "amqp":
        url = request.getfixturevalue("amqp_url")(**FAST)
    else:  # Dramatiq's Redis heartbeat of 1 s, and maintenance at every command
        url = request.getfixturevalue("redis_url")(
            heartbeat_timeout=1, maintenance_chance=1_000_000, **FAST
        )
    # a dead worker's run counts as one of the job's runs: it runs again with a retry
    app, job_id, first_pid = kill_mid_job(app_with_worker, url, tmp_path, JobOptions(retries=1))
    app.worker_pool.start_workers(1)

    eventually(lambda: app.get_job(job_id).status is JobStatus.done, what="ran again")
    done = app.get_job(job_id)
    assert (done.status, done.result, done.attempts) == (JobStatus.done, 2, 2)
    assert int((tmp_path / "job.pid").read_text()) != first_pid


def test_with_dramatiqs_redis_defaults_the_job_of_a_killed_worker_ends_lost(
    redis_url: Callable[..., str], app_with_worker: Callable[..., AppAndWorker], tmp_path: Path
) -> None:
    url = redis_url(**FAST)  # Dramatiq's heartbeat_timeout (60 s) and maintenance_chance
    app, job_id, _ = kill_mid_job(app_with_worker, url, tmp_path)
    app.worker_pool.start_workers(1)

    lost = app.wait_for_job(job_id, DEADLINE)
    assert (lost.status, lost.attempts, lost.result) == (JobStatus.lost, 1, None)
    # the dead worker's row on the roster goes stale too: only the new worker counts
    eventually(lambda: app.worker_pool.n_workers == 1, what="the dead worker not counted")
