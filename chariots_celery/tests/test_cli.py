"""``chariots worker --pool celery+… --app …`` runs a real Celery worker (a prefork pool of
``--concurrency`` processes) and stops gracefully on SIGTERM; a team's own ``celery -A
proj:celery_app worker``, where ``proj`` builds the chariots app on that Celery application, runs
chariots jobs too."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from chariots_celery import CeleryWorkerPool
from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_core.testing.pool_app import PoolApps
from chariots_core.testing.processes import Processes
from chariots_core.workers.kit import descendants


def test_chariots_worker_runs_a_celery_worker_of_concurrency_processes(
    redis_pool_url: Callable[..., str],
    open_pool: Callable[[str], CeleryWorkerPool],
    chariots_pool_apps: PoolApps,
    tmp_path: Path,
) -> None:
    url = redis_pool_url()
    pool = open_pool(url)

    # a worker running 2 jobs at once
    app, worker = chariots_pool_apps.app_and_worker(pool, url, concurrency=2)

    # two jobs at once, each in a process of the worker's prefork pool
    first, second = tmp_path / "first.pid", tmp_path / "second.pid"
    jobs = [
        app.submit_job("sleep", {"seconds": 1, "pid_file": str(pid_file)})
        for pid_file in (first, second)
    ]
    eventually(lambda: first.exists() and second.exists(), what="both jobs started")
    finished = [app.wait_for_job(job.id, DEADLINE) for job in jobs]
    assert [job.status for job in finished] == [JobStatus.done] * 2, worker.output
    pids = {int(first.read_text()), int(second.read_text())}
    assert len(pids) == 2
    assert pids <= set(descendants(worker.pid))
    assert {str(job.worker_id).split(":")[1] for job in finished} == {str(worker.pid)}

    assert worker.terminate() == 0, worker.output
    assert f"worker for app '{app.name}' on celery pool on redis://" in worker.output
    assert worker.output.rstrip().endswith("worker stopped"), worker.output
    assert "Traceback" not in worker.output
    for job in finished:  # chariots' one line for each job, and not Celery's own at INFO
        assert worker.output.count(f"job {job.id} app={app.name} pipeline=sleep") == 1
        assert f"Task chariots.run_job[{job.id}] succeeded" not in worker.output
    assert pool.n_workers == 0
    for pid in pids:  # the command waited for its pool's processes
        assert not Path(f"/proc/{pid}").exists()


def test_a_teams_own_celery_worker_runs_chariots_jobs(
    queue_name: str,
    pool_url: Callable[..., str],
    chariots_processes: Processes,
    open_pool: Callable[[str], CeleryWorkerPool],
    chariots_pool_apps: PoolApps,
    make_app: Callable[..., PipelinesServer],
) -> None:
    url = pool_url()  # on each broker in turn
    pool = open_pool(url)  # the server's side: a pool on the team's broker and queue
    app = make_app(pool)
    options = ["--concurrency", "1", "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
    worker = chariots_processes.start(
        "celery",
        [
            "-A",
            "celery_test_app:celery_app",
            "worker",
            *options,
            "--hostname",
            f"team-{os.getpid()}@%h",
        ],
        chariots_pool_apps.environment(app, url),
    )
    eventually(lambda: pool.n_workers == 1, what="the team's worker consumes the queue")
    done = app.wait_for_job(app.submit_job("add_one", 41).id, DEADLINE)

    assert (done.status, done.result) == (JobStatus.done, 42), worker.output
    assert str(done.worker_id).split(":")[1] == str(worker.pid)
    assert worker.terminate() == 0, worker.output
    # it consumed its own default queue and chariots' (nothing told it to: -Q was not given)
    assert f".> {queue_name}-default exchange=" in worker.output
    assert f".> {queue_name} exchange=" in worker.output
    assert "chariots.run_job" in worker.output
