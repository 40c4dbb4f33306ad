"""A worker killed with SIGKILL in the middle of a job (its main process and the pool process
running the job, as a crash of its machine would): a job with no retry ends ``lost`` once its
heartbeat stops, and stays lost when Redis delivers its message again after the visibility
timeout; on RabbitMQ the message comes back at once, and a job with a retry runs again on
another worker once its heartbeat is stale. And the bound of Redis's visibility
timeout: a job running past it is delivered again, found held, sent back for later: it runs
once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from redis import Redis

from chariots_celery import CeleryWorkerPool
from chariots_core.database import utc_now as now
from chariots_core.jobs import Job, JobOptions, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_core.testing.pool_app import PoolApps

HEARTBEAT_TIMEOUT = 2.0


def start_and_kill_mid_job(
    pool_apps: PoolApps,
    pool: CeleryWorkerPool,
    tmp_path: Path,
    options: JobOptions | None = None,
) -> tuple[PipelinesServer, Job]:
    """A new app on ``pool`` and a ``chariots worker`` for it (a short heartbeat timeout for
    both); submit a long job, SIGKILL the worker once the job runs: the app and the job."""
    assert pool.url is not None
    app, worker = pool_apps.app_and_worker(pool, pool.url, heartbeat_timeout=HEARTBEAT_TIMEOUT)
    pid_file, runs = tmp_path / "job.pid", tmp_path / "runs"
    spec = {"seconds": 120, "pid_file": str(pid_file), "runs": str(runs), "first_run_only": True}
    job = app.submit_job("sleep", spec, options)
    eventually(pid_file.exists, what="the job started")
    assert str(app.get_job(job.id).worker_id).split(":")[1] == str(worker.pid)  # its main process
    worker.kill()
    return app, job


def test_on_redis_the_job_ends_lost_and_its_message_waits_for_the_visibility_timeout(
    pool_on: Callable[..., CeleryWorkerPool],
    chariots_pool_apps: PoolApps,
    chariots_redis_url: str,
    tmp_path: Path,
) -> None:
    app, job = start_and_kill_mid_job(chariots_pool_apps, pool_on("redis"), tmp_path)

    lost = app.wait_for_job(job.id, DEADLINE)
    assert (lost.status, lost.attempts, lost.result) == (JobStatus.lost, 1, None)
    client = Redis.from_url(chariots_redis_url)
    try:  # not dropped: Redis holds it until the visibility timeout (3600 s) brings it back
        held = [payload for payload in client.hvals("unacked") if job.id.encode() in payload]
    finally:
        client.close()
    assert len(held) == 1


def test_on_redis_a_lost_job_s_message_delivered_after_the_visibility_timeout_runs_nothing(
    pool_on: Callable[..., CeleryWorkerPool], chariots_pool_apps: PoolApps, tmp_path: Path
) -> None:
    pool = pool_on("redis", visibility_timeout=1)
    app, job = start_and_kill_mid_job(chariots_pool_apps, pool, tmp_path)
    assert app.wait_for_job(job.id, DEADLINE).status is JobStatus.lost

    pool.start_workers(1)  # a worker starting restores the messages past the visibility timeout
    after = app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE)

    assert after.status is JobStatus.done
    still = app.get_job(job.id)  # lost is final: the message delivered again was dropped
    assert (still.status, still.attempts) == (JobStatus.lost, 1)
    assert (tmp_path / "runs").read_text() == "1"


def test_on_rabbitmq_the_job_runs_again_on_another_worker(
    pool_on: Callable[..., CeleryWorkerPool], chariots_pool_apps: PoolApps, tmp_path: Path
) -> None:
    pool = pool_on("amqp")
    # a dead worker's run counts as one of the job's runs: it runs again with a retry
    app, job = start_and_kill_mid_job(chariots_pool_apps, pool, tmp_path, JobOptions(retries=1))

    pool.start_workers(1)

    again = eventually(lambda: (found := app.get_job(job.id)).status is JobStatus.done and found)
    assert (again.attempts, again.result) == (2, 2)
    assert (tmp_path / "runs").read_text() == "2"


def test_on_redis_a_job_running_past_the_visibility_timeout_is_delivered_again_but_runs_once(
    pool_on: Callable[..., CeleryWorkerPool],
    make_app: Callable[..., PipelinesServer],
    tmp_path: Path,
) -> None:
    pool = pool_on("redis", visibility_timeout=1)
    app = make_app(pool)  # a heartbeat timeout of 30 s: the job stays held by its worker
    pool.start_workers(1)
    pid_file, runs = tmp_path / "job.pid", tmp_path / "runs"
    job = app.submit_job("sleep", {"seconds": 5, "pid_file": str(pid_file), "runs": str(runs)})
    eventually(pid_file.exists, what="the job started")
    eventually(lambda: time.time() - (app.get_job(job.id).started_at or now()).timestamp() > 1.5)

    pool.start_workers(1)  # restores the messages past the visibility timeout as it starts

    def held_for_later() -> bool:  # delivered again, found held: sent back with a countdown
        with pool.celery_app.connection_for_write() as connection:  # not one of kombu's pools
            inspect = pool.celery_app.control.inspect(timeout=0.5, connection=connection)
            scheduled = inspect.scheduled() or {}
        return any(job.id in str(entries) for entries in scheduled.values())

    eventually(held_for_later, what="the message was delivered again and sent back for later")
    done = app.wait_for_job(job.id, DEADLINE)
    assert (done.status, done.attempts, done.result) == (JobStatus.done, 1, 1)
    assert runs.read_text() == "1"
