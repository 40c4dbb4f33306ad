"""Real Dramatiq workers from the command line: ``chariots worker --pool dramatiq+…`` (processes
times threads, counted so by ``n_workers``), and a team's own ``dramatiq proj`` whose ``proj``
builds the chariots app; both stop gracefully on SIGTERM."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dramatiq import Message
from dramatiq_test_support import FAST, TEAM_BROKER_ENV, TEAM_FORK_ENV, TEAM_QUEUE_ENV, AppAndWorker

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_core.testing.pool_app import PoolApps
from chariots_core.testing.processes import Processes
from chariots_dramatiq import DramatiqWorkerPool


def _all_started(pid_files: list[Path]) -> bool:
    return all(path.exists() for path in pid_files)


def test_chariots_worker_runs_processes_times_threads_and_stops_on_sigterm(
    redis_url: Callable[..., str], app_with_worker: Callable[..., AppAndWorker], tmp_path: Path
) -> None:
    url = redis_url(fork="false", threads=2, **FAST)

    # 2 processes of 2 threads, counted so
    app, worker = app_with_worker(url, concurrency=2, counted=4)
    # four jobs at once: each holds its thread until all four have started
    pid_files = [tmp_path / f"job-{n}.pid" for n in range(4)]
    jobs = [app.submit_job("sleep", {"seconds": 1, "pid_file": str(p)}) for p in pid_files]
    eventually(lambda: _all_started(pid_files), what="four jobs running at once")
    finished = [app.wait_for_job(job.id, DEADLINE) for job in jobs]

    assert [job.status for job in finished] == [JobStatus.done] * 4, worker.output
    pids = {int(path.read_text()) for path in pid_files}
    assert len(pids) == 2  # two worker processes, jobs in their threads
    assert worker.pid not in pids
    assert worker.terminate() == 0, worker.output
    assert worker.output.rstrip().endswith("worker stopped"), worker.output
    assert app.worker_pool.n_workers == 0


def test_chariots_worker_runs_each_job_in_a_work_horse(
    amqp_url: Callable[..., str], app_with_worker: Callable[..., AppAndWorker], tmp_path: Path
) -> None:
    url = amqp_url(**FAST)  # fork=true by default
    app, worker = app_with_worker(url)

    pid_file = tmp_path / "horse.pid"
    job = app.submit_job("sleep", {"seconds": 0, "pid_file": str(pid_file)})
    done = app.wait_for_job(job.id, DEADLINE)

    assert (done.status, done.result) == (JobStatus.done, 1), worker.output
    assert int(pid_file.read_text()) != worker.pid  # a work horse of the worker
    assert (done.worker_id or "").split(":")[1] == str(worker.pid)
    assert "guest:guest" not in worker.output  # the pool's description hides the password
    assert worker.terminate() == 0, worker.output


@pytest.mark.parametrize(("fork", "counted"), [("false", 2), ("true", 1)])
def test_a_teams_own_dramatiq_command_runs_chariots_jobs(
    fork: str,
    counted: int,
    chariots_redis_url: str,
    redis_url: Callable[..., str],
    queue_name: str,
    make_pool: Callable[[str], DramatiqWorkerPool],
    make_app: Callable[..., PipelinesServer],
    chariots_pool_apps: PoolApps,
    chariots_processes: Processes,
    tmp_path: Path,
) -> None:
    """``dramatiq dramatiq_team_project --processes 1 --threads 2``: the team's module builds the
    chariots app on its broker, so its workers run chariots jobs (and its own actors), and are
    counted: 2 threads, or 1 with ``fork`` (one job at a time per process)."""
    url = redis_url(**FAST)
    app = make_app(make_pool(url))
    team = {TEAM_BROKER_ENV: chariots_redis_url, TEAM_QUEUE_ENV: queue_name, TEAM_FORK_ENV: fork}
    env = chariots_pool_apps.environment(app, url, **team)
    args = ["dramatiq_team_project", "--processes", "1", "--threads", "2"]

    dramatiq = chariots_processes.start("dramatiq", args, env)
    eventually(lambda: app.worker_pool.n_workers == counted, what="the team's workers counted")
    done = app.wait_for_job(app.submit_job("add_one", 41).id, DEADLINE)

    assert (done.status, done.result) == (JobStatus.done, 42), dramatiq.output
    # the team's own actor runs beside (a message sent as its code would, by name)
    team_file = tmp_path / "team.txt"
    broker = app.worker_pool.broker  # type: ignore[attr-defined]
    broker.enqueue(Message(queue_name, "team_task", (str(team_file),), {}, {}))
    eventually(team_file.exists, what="the team's own actor ran")
    assert dramatiq.terminate() == 0, dramatiq.output
    assert app.worker_pool.n_workers == 0
