"""``chariots worker --pool rq://… --app …`` runs real RQ workers, forking a work horse per job
or not, one or several, and stops them gracefully on SIGTERM."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rq.worker import Worker
from rq_test_support import FAST_WORKERS

from chariots_core.jobs import JobStatus
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_core.testing.pool_app import PoolApps
from chariots_rq import RQWorkerPool


def registered_pids(pool: RQWorkerPool) -> set[int]:
    """The pids of the RQ workers registered on the pool's queues."""
    return {
        int(worker.pid) for worker in Worker.all(queue=pool.queues[0]) if worker.pid is not None
    }


def test_a_forking_worker_runs_jobs_in_work_horses_and_stops_on_sigterm(
    make_pool: Callable[..., RQWorkerPool], chariots_pool_apps: PoolApps, tmp_path: Path
) -> None:
    pool = make_pool(fork="true", **FAST_WORKERS)

    app, worker = chariots_pool_apps.app_and_worker(pool, str(pool.url))
    assert registered_pids(pool) == {worker.pid}  # the command is the RQ worker itself

    pid_file = tmp_path / "horse.pid"
    job = app.submit_job("sleep", {"seconds": 0, "pid_file": str(pid_file)})
    finished = app.wait_for_job(job.id, DEADLINE)
    assert (finished.status, finished.result) == (JobStatus.done, 1), worker.output
    horse = int(pid_file.read_text())
    assert horse != worker.pid  # it ran in a work horse
    assert finished.worker_id is not None
    assert finished.worker_id.split(":")[1] == str(worker.pid)  # the worker's, not the horse's

    assert worker.terminate() == 0, worker.output
    assert worker.output.rstrip().endswith("worker stopped"), worker.output
    assert f"worker for app '{app.name}' on rq pool on redis" in worker.output
    assert "Traceback" not in worker.output
    assert pool.n_workers == 0


def test_concurrency_runs_that_many_simple_workers_under_rqs_worker_pool(
    make_pool: Callable[..., RQWorkerPool], chariots_pool_apps: PoolApps, tmp_path: Path
) -> None:
    pool = make_pool(fork="false", **FAST_WORKERS)

    app, worker = chariots_pool_apps.app_and_worker(pool, str(pool.url), concurrency=2)
    workers = registered_pids(pool)
    assert worker.pid not in workers  # forked by RQ's WorkerPool

    # two jobs that each wait for the other to have started: they run at the same time
    first, second = tmp_path / "first.pid", tmp_path / "second.pid"
    jobs = [
        app.submit_job("sleep", {"seconds": 1, "pid_file": str(pid_file)})
        for pid_file in (first, second)
    ]
    eventually(lambda: first.exists() and second.exists(), what="both jobs started")
    running = [app.get_job(job.id) for job in jobs]
    assert {job.status for job in running} <= {JobStatus.running, JobStatus.done}
    finished = [app.wait_for_job(job.id, DEADLINE) for job in jobs]
    assert [job.status for job in finished] == [JobStatus.done, JobStatus.done], worker.output
    # no work horse: each job ran in a worker process itself, a different one each
    assert {int(first.read_text()), int(second.read_text())} == workers

    assert worker.terminate() == 0, worker.output
    assert pool.n_workers == 0
    for pid in workers:  # the command waited for its workers to end
        assert not Path(f"/proc/{pid}").exists()


def test_a_worker_logs_a_few_lines_at_start_and_one_per_job_with_the_users_traceback(
    make_pool: Callable[..., RQWorkerPool], chariots_pool_apps: PoolApps
) -> None:
    pool = make_pool(fork="true", **FAST_WORKERS)
    app, worker = chariots_pool_apps.app_and_worker(pool, str(pool.url))

    done = app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE)
    assert (done.status, done.native_status) == (JobStatus.done, "finished")
    failed = app.wait_for_job(app.submit_job("explode", 7).id, DEADLINE)
    assert (failed.status, failed.native_status) == (JobStatus.failed, "failed")
    assert worker.terminate() == 0, worker.output

    lines = worker.output.splitlines()
    assert lines[0].startswith(f"worker for app '{app.name}' on rq pool"), worker.output
    assert lines[-1] == "worker stopped"
    ran = [line for line in lines if f" job {done.id} " in line]
    assert len(ran) == 1, worker.output  # one line per job, said once
    assert ran[0].endswith(
        f"INFO job {done.id} app={app.name} pipeline=add_one attempt=1: done in "
        f"{ran[0].rsplit(' ', 1)[1]}"
    ), ran
    assert f"ERROR job {failed.id} app={app.name} pipeline=explode attempt=1: failed in" in (
        worker.output
    )
    assert "ValueError: exploded on 7" in worker.output  # the user's error, with its traceback
    assert 'raise ValueError(f"exploded on {value!r}")' in worker.output
    assert "JobFailed" not in worker.output  # not chariots' way of telling RQ
    assert worker.output.count("Traceback") == 1
    before_traceback = worker.output.split("Traceback")[0].splitlines()
    assert len(before_traceback) <= 4, worker.output  # start-up: a few lines, not one per queue
