"""Jobs on real Celery workers, on each broker: what Celery does for chariots beyond the
conformance suite. A soft time limit stops a job in its node; code that ignores it is killed at
the hard limit (the worker's main process records the timeout); a revoke stops a job in a long
node at once; a retried job keeps its queue, priority and time limits; a pool process that dies
fails its job, or runs it again when it has retries."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from chariots_celery import CeleryWorkerPool
from chariots_core.jobs import JobOptions, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE, eventually


def test_a_job_that_ignores_its_soft_time_limit_is_killed_at_the_hard_one(
    make_working_app: Callable[..., PipelinesServer],
) -> None:
    app = make_working_app(kill_after=1)

    started = time.monotonic()
    job = app.submit_job("stubborn", 60, JobOptions(timeout=1))
    failed = app.wait_for_job(job.id, DEADLINE)

    assert (failed.status, (failed.error or {}).get("type")) == (JobStatus.failed, "JobTimeout")
    assert "killed at Celery's hard time limit (2s)" in str((failed.error or {}).get("message"))
    assert time.monotonic() - started < 30
    after = app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE)  # its process replaced
    assert (after.status, after.result) == (JobStatus.done, 2)


def test_a_job_killed_at_the_hard_limit_is_retried_with_its_time_limits(
    make_working_app: Callable[..., PipelinesServer],
) -> None:
    app = make_working_app(kill_after=0.5)

    job = app.submit_job("stubborn", 60, JobOptions(timeout=0.5, retries=1, retry_interval=0.2))
    final = eventually(
        lambda: (found := app.get_job(job.id)).status.is_finished and found, what="job ended"
    )

    assert (final.status, final.attempts) == (JobStatus.failed, 2)
    assert "hard time limit" in str((final.error or {}).get("message"))


def test_a_revoked_job_stops_in_its_node(
    make_working_app: Callable[..., PipelinesServer], tmp_path: Path
) -> None:
    app = make_working_app()
    pid_file = tmp_path / "job.pid"
    job = app.submit_job("sleep", {"seconds": 120, "pid_file": str(pid_file)})
    eventually(pid_file.exists, what="the job started")

    cancelled_at = time.monotonic()
    app.cancel_job(job.id)
    final = app.wait_for_job(job.id, DEADLINE)

    assert final.status is JobStatus.cancelled
    assert "revoked: stopped in its node" in str((final.error or {}).get("message"))
    assert time.monotonic() - cancelled_at < 20  # not the 120 s of its node
    after = app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE)
    assert after.status is JobStatus.done


def test_a_retried_job_keeps_its_queue_priority_and_time_limits(
    make_pool: Callable[..., CeleryWorkerPool],
    make_app: Callable[..., PipelinesServer],
    tmp_path: Path,
) -> None:
    pool = make_pool(priorities="0,5,10")
    app = make_app(pool)
    pool.start_workers(1)
    log = tmp_path / "probe.log"

    options = JobOptions(timeout=30, retries=1, retry_interval=0.1, priority=7)
    done = app.wait_for_job(
        app.submit_job("probe", {"log": str(log), "fail_first": True}, options).id, DEADLINE
    )

    assert (done.status, done.attempts) == (JobStatus.done, 2)
    first, second = [json.loads(line) for line in log.read_text().splitlines()]
    assert first == second | {"pid": first["pid"]}
    assert first["queue"] == pool.queue.name
    assert first["priority"] == pool.broker_priority(7) == pool.broker_priority(5)
    assert first["timelimit"] == [32, 30]


def test_a_pool_process_that_dies_fails_its_job_or_runs_it_again(
    make_working_app: Callable[..., PipelinesServer], tmp_path: Path
) -> None:
    app = make_working_app()

    for retries, expected in ((0, (JobStatus.failed, 1)), (1, (JobStatus.done, 2))):
        pid_file, runs = tmp_path / f"job-{retries}.pid", tmp_path / f"runs-{retries}"
        spec = {"seconds": 120, "pid_file": str(pid_file), "runs": str(runs)}
        job = app.submit_job("sleep", spec | {"first_run_only": True}, JobOptions(retries=retries))
        eventually(pid_file.exists, what="the job started")
        os.kill(int(pid_file.read_text()), signal.SIGKILL)  # the pool's process, not the worker

        final = app.wait_for_job(job.id, DEADLINE)
        assert (final.status, final.attempts) == expected, final.error
        if final.status is JobStatus.failed:
            assert (final.error or {}).get("type") == "WorkHorseDied"
