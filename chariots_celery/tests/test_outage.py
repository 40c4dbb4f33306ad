"""A Redis outage: a Celery worker (``chariots worker``) whose Redis goes away waits for it,
saying so, and goes on running jobs once it is back (Celery's consumer reconnects by itself,
``broker_connection_retry``); a stop asked during the outage still ends it cleanly."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from celery_test_support import DEADLINE, CLIWorker, eventually

from chariots_celery import CeleryWorkerPool
from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.services import RedisServer

#: what Celery's consumer logs when it lost its broker, and while it cannot reach it
LOST, WAITING = "Connection to broker lost", "Cannot connect to redis://"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of this test's own, which the test stops and starts again on the same port."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def outage_pool(
    redis_server: RedisServer, queue_name: str, open_pool: Callable[[str], CeleryWorkerPool]
) -> CeleryWorkerPool:
    """A pool on the test's own Redis."""
    query = urlencode({"queue": queue_name})
    return open_pool(f"celery+redis://127.0.0.1:{redis_server.port}/0?{query}")


def start_worker(
    pool: CeleryWorkerPool, app: PipelinesServer, cli_worker: Callable[..., CLIWorker]
) -> CLIWorker:
    """``chariots worker`` on the pool, once it consumes and has run a first job."""
    assert pool.url is not None
    worker = cli_worker(app, pool.url)
    eventually(lambda: pool.n_workers == 1, what="the worker consumes")
    first = app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE)
    assert (first.status, first.result) == (JobStatus.done, 2)
    return worker


def waiting(worker: CLIWorker) -> bool:
    output = worker.output
    return LOST in output and WAITING in output


def test_a_worker_rides_out_a_redis_restart(
    redis_server: RedisServer,
    outage_pool: CeleryWorkerPool,
    make_app: Callable[..., PipelinesServer],
    cli_worker: Callable[..., CLIWorker],
) -> None:
    app = make_app(outage_pool)
    worker = start_worker(outage_pool, app, cli_worker)

    redis_server.stop()
    eventually(lambda: waiting(worker), what="the worker waiting for Redis")
    assert worker.process.poll() is None, worker.output
    redis_server.start()  # empty, on the same port: a Redis restarted without persistence

    second = app.wait_for_job(app.submit_job("add_one", 2).id, DEADLINE)
    assert (second.status, second.result) == (JobStatus.done, 3)
    assert worker.process.poll() is None, worker.output
    assert worker.terminate() == 0, worker.output


def test_a_job_running_while_redis_goes_away_ends_done_and_the_worker_goes_on(
    redis_server: RedisServer,
    outage_pool: CeleryWorkerPool,
    make_app: Callable[..., PipelinesServer],
    cli_worker: Callable[..., CLIWorker],
    tmp_path: Path,
) -> None:
    app = make_app(outage_pool)
    worker = start_worker(outage_pool, app, cli_worker)
    pid_file, runs = tmp_path / "job.pid", tmp_path / "runs"
    job = app.submit_job("sleep", {"seconds": 3, "pid_file": str(pid_file), "runs": str(runs)})
    eventually(pid_file.exists, what="the job started")

    redis_server.stop()  # while the job runs
    eventually(lambda: waiting(worker), what="the worker waiting for Redis")
    redis_server.start()

    done = app.wait_for_job(job.id, DEADLINE)
    assert (done.status, done.attempts, done.result) == (JobStatus.done, 1, 1), worker.output
    after = app.wait_for_job(app.submit_job("add_one", 2).id, DEADLINE)
    assert (after.status, after.result) == (JobStatus.done, 3)
    assert runs.read_text() == "1"
    assert worker.process.poll() is None, worker.output
    assert worker.terminate() == 0, worker.output


def test_a_stop_during_an_outage_ends_the_worker(
    redis_server: RedisServer,
    outage_pool: CeleryWorkerPool,
    make_app: Callable[..., PipelinesServer],
    cli_worker: Callable[..., CLIWorker],
) -> None:
    worker = start_worker(outage_pool, make_app(outage_pool), cli_worker)

    redis_server.stop()
    eventually(lambda: waiting(worker), what="the worker waiting for Redis")

    assert worker.terminate() == 0, worker.output


def test_a_worker_whose_celery_app_gives_up_on_its_broker_exits_non_zero(
    redis_server: RedisServer,
    outage_pool: CeleryWorkerPool,
    make_app: Callable[..., PipelinesServer],
    worker_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    """The pool's own application waits for its broker for as long as it takes; a team's may
    bound its retries (``broker_connection_max_retries``): past them, ``chariots worker`` exits
    non-zero, saying why, so that a service manager starts it again."""
    assert outage_pool.url is not None
    app = make_app(outage_pool)
    (tmp_path / "bounded_retries.py").write_text(
        "from celery_test_app import app\n"
        "app.worker_pool.celery_app.conf.broker_connection_max_retries = 1\n"
    )
    env = worker_env(app, outage_pool.url)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    args = ["worker", "--app", "bounded_retries:app"]
    worker = CLIWorker("chariots", args, env, tmp_path / "bounded.log")
    try:
        eventually(lambda: outage_pool.n_workers == 1, what="the worker consumes")
        redis_server.stop()
        assert worker.process.wait(timeout=DEADLINE) == 1, worker.output
        assert "Error: the Celery worker gave up" in worker.output
    finally:
        worker.kill()
