"""A worker killed with SIGKILL in the middle of a job: the job ends ``lost`` (RQ finds it
abandoned, or the job store sees its heartbeat stop), or RQ runs it again when it has retries."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job as RQJob
from rq_test_support import FAST_WORKERS

from chariots_core.jobs import Job, JobOptions, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_core.testing.pool_app import PoolApps
from chariots_core.testing.processes import CommandProcess
from chariots_core.workers import kit
from chariots_rq import RQWorkerPool
from chariots_rq.task import RUN_MESSAGE
from chariots_rq.worker import build_worker


def kill_mid_job(
    app: PipelinesServer, worker: CommandProcess, folder: Path, options: JobOptions | None = None
) -> tuple[Job, int]:
    """Submit a long ``sleep`` job (its pid in ``folder/job.pid``, its runs counted in
    ``folder/runs``, a second run at once), then SIGKILL the worker and the process running the
    job (its work horse, or itself); returns the job and that pid. Both are processes this test
    started (the horse is the worker's child)."""
    pid_file, runs = folder / "job.pid", folder / "runs"
    spec = {"seconds": 120, "pid_file": str(pid_file), "runs": str(runs), "first_run_only": True}
    job = app.submit_job("sleep", spec, options)
    eventually(pid_file.exists, what="the job started")
    job_pid = int(pid_file.read_text())
    for pid in {job_pid, worker.pid}:
        os.kill(pid, signal.SIGKILL)
    worker.process.wait(timeout=DEADLINE)
    eventually(lambda: not Path(f"/proc/{job_pid}").exists() or _zombie(job_pid), what="killed")
    return job, job_pid


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def test_rq_finds_the_job_of_a_killed_worker_abandoned_and_it_ends_lost(
    pool: RQWorkerPool, chariots_pool_apps: PoolApps, tmp_path: Path
) -> None:
    # the job store's own heartbeat timeout is long: RQ's detection is what marks it lost
    app, worker = chariots_pool_apps.app_and_worker(pool, str(pool.url), app_heartbeat_timeout=600)

    job, _ = kill_mid_job(app, worker, tmp_path)
    assert app.get_job(job.id).status is JobStatus.running  # nobody knows yet
    pool.start_workers(1)  # a live worker's housekeeping finds the abandoned job

    lost: Job = eventually(
        lambda: (found := app.get_job(job.id)).status.is_finished and found,
        what="the job finished",
    )
    assert (lost.status, lost.native_status, lost.attempts) == (JobStatus.lost, "abandoned", 1)
    assert lost.result is None


def test_the_job_of_a_killed_worker_is_run_again_when_it_has_retries(
    pool: RQWorkerPool, chariots_pool_apps: PoolApps, tmp_path: Path
) -> None:
    app, worker = chariots_pool_apps.app_and_worker(pool, str(pool.url), app_heartbeat_timeout=600)

    job, first_pid = kill_mid_job(app, worker, tmp_path, JobOptions(retries=1))
    pool.start_workers(1)

    finished = app.wait_for_job(job.id, DEADLINE)
    eventually(lambda: app.get_job(job.id).status is JobStatus.done, what="re-run to the end")
    finished = app.get_job(job.id)
    assert (finished.status, finished.result, finished.attempts) == (JobStatus.done, 2, 2)
    assert (tmp_path / "runs").read_text() == "2"
    assert int((tmp_path / "job.pid").read_text()) != first_pid


@pytest.mark.parametrize("fork", ["true", "false"])
def test_a_job_past_its_timeout_counts_abandoned_only_once_its_worker_misses_beats(
    make_pool: Callable[..., RQWorkerPool], fork: str
) -> None:
    """Past its timeout, a job's failure is still being recorded while its worker beats for it:
    each beat keeps the job in RQ's registry of started jobs for one more monitoring interval
    plus ``abandoned_after`` (RQ's own beat there keeps it for the grace alone: a busy machine
    missed it by a moment and another worker ended a timed-out job ``lost``)."""
    pool = make_pool(fork=fork, **FAST_WORKERS)
    options = pool.worker_options
    worker = build_worker(pool, options)
    job = RQJob.create(RUN_MESSAGE, args=["{}"], timeout=1, connection=pool.redis)
    for working_time in (0.0, 0.5, 1.0, 1.5, 30.0):
        assert worker.get_heartbeat_ttl(job, working_time) >= (
            options.job_monitoring_interval + options.abandoned_after
        ), f"the beat at {working_time}s keeps the job too short a time"


def test_a_simple_worker_beats_for_the_job_it_runs_so_a_long_job_is_not_abandoned(
    make_pool: Callable[..., RQWorkerPool], chariots_pool_apps: PoolApps
) -> None:
    """RQ's simple worker beats for no job it runs: a job running past its first beat's TTL
    was taken for abandoned by another worker's clean-up (a training with no timeout, past
    7 minutes by default). Chariots' beats for it every monitoring interval."""
    pool = make_pool(fork="false", **{**FAST_WORKERS, "abandoned_after": 3})
    # two workers: the idle one cleans the registries
    app, _ = chariots_pool_apps.app_and_worker(pool, str(pool.url), concurrency=2)
    job = app.submit_job("sleep", {"seconds": 6})  # past the first beat's TTL (1 + 3 s)
    registry = pool.queue_for(0).started_job_registry.key

    def score() -> float | None:
        entries = pool.redis.zrange(registry, 0, -1, withscores=True)
        return next((at for key, at in entries if key.decode().startswith(job.id)), None)

    first = eventually(score, what="the job started")
    eventually(lambda: (score() or 0) > first, what="a beat for the running job")
    done = app.wait_for_job(job.id, DEADLINE)
    assert (done.status, done.result) == (JobStatus.done, 1), done.error


def test_a_simple_worker_killed_mid_job_ends_lost_when_its_heartbeat_stops(
    make_pool: Callable[..., RQWorkerPool], chariots_pool_apps: PoolApps, tmp_path: Path
) -> None:
    pool = make_pool(fork="false")
    app, worker = chariots_pool_apps.app_and_worker(pool, str(pool.url), heartbeat_timeout=2)

    job, job_pid = kill_mid_job(app, worker, tmp_path)

    assert job_pid == worker.pid  # no work horse: the job died with its worker
    lost = app.wait_for_job(job.id, DEADLINE)
    assert (lost.status, lost.attempts, lost.result) == (JobStatus.lost, 1, None)


def test_jobs_whose_messages_redis_lost_are_sent_again_and_run(
    pool: RQWorkerPool, make_app: Callable[..., PipelinesServer], redis_client: Redis
) -> None:
    app = make_app(pool, heartbeat_timeout=0.5)  # checked after 4 heartbeat timeouts: 2 s
    jobs = [app.submit_job("add_one", number) for number in range(3)]
    assert all(pool.holds_message(job.id) for job in jobs)
    for job in jobs:  # as a Redis restarted without persistence loses them
        redis_client.delete(RQJob.key_for(job.id))
        for name in pool.queue_names:
            redis_client.lrem(f"rq:queue:{name}", 0, job.id)
    assert not any(pool.holds_message(job.id) for job in jobs)

    pool.start_workers(1)
    finished = [app.wait_for_job(job.id, DEADLINE) for job in jobs]

    assert [(job.status, job.result, job.attempts) for job in finished] == [
        (JobStatus.done, number + 1, 1) for number in range(3)
    ]


def test_a_killed_worker_leaves_no_scheduler_running(
    pool: RQWorkerPool, chariots_pool_apps: PoolApps
) -> None:
    """RQ's scheduler, a child of its worker, stops once the worker is killed (it went on until
    its Redis went away, and then printed a traceback after the test run's last line)."""
    _, worker = chariots_pool_apps.app_and_worker(pool, str(pool.url))
    children = eventually(lambda: kit.descendants(worker.pid), what="its scheduler started")

    os.kill(worker.pid, signal.SIGKILL)
    worker.process.wait(timeout=DEADLINE)
    eventually(
        lambda: all(_zombie(pid) or not Path(f"/proc/{pid}").exists() for pid in children),
        what="the killed worker's children gone",
    )
