"""A Redis outage: a Dramatiq worker (``chariots worker``) whose Redis goes away waits for it,
saying so, and goes on running jobs once it is back (Dramatiq's consumers restart by themselves
on a connection error, with back-off); a stop asked during the outage still ends it cleanly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from dramatiq_test_support import DEADLINE, FAST, Command, environment, eventually

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.services import RedisServer
from chariots_dramatiq import DramatiqWorkerPool

#: what Dramatiq's consumer logs when its broker fails it
WAITING = "Consumer encountered a connection error"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of this test's own, which the test stops and starts again on the same port."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def outage_pool(
    redis_server: RedisServer, queue_name: str, make_pool: Callable[[str], DramatiqWorkerPool]
) -> DramatiqWorkerPool:
    """A pool on the test's own Redis."""
    query = urlencode({"queue": queue_name, **FAST})
    return make_pool(f"dramatiq+redis://127.0.0.1:{redis_server.port}/0?{query}")


def start_worker(
    pool: DramatiqWorkerPool,
    app: PipelinesServer,
    command: Callable[..., Command],
    tmp_path: Path,
) -> Command:
    """``chariots worker`` on the pool, once it is on the roster and has run a first job."""
    assert pool.url is not None
    env = environment(store=str(tmp_path / "store"), app=app.name, pool=pool.url)
    worker = command("chariots", ["worker", "--app", "dramatiq_test_app:app"], env)
    eventually(lambda: pool.n_workers == 1, what="the worker on the roster")
    first = app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE)
    assert (first.status, first.result) == (JobStatus.done, 2)
    return worker


def test_a_worker_rides_out_a_redis_restart(
    redis_server: RedisServer,
    outage_pool: DramatiqWorkerPool,
    make_app: Callable[..., PipelinesServer],
    command: Callable[..., Command],
    tmp_path: Path,
) -> None:
    app = make_app(outage_pool)
    worker = start_worker(outage_pool, app, command, tmp_path)

    redis_server.stop()
    eventually(lambda: WAITING in worker.output, what="the worker waiting for Redis")
    assert worker.process.poll() is None, worker.output
    redis_server.start()  # empty, on the same port: a Redis restarted without persistence

    second = app.wait_for_job(app.submit_job("add_one", 2).id, DEADLINE)
    assert (second.status, second.result) == (JobStatus.done, 3)
    assert worker.process.poll() is None, worker.output
    assert worker.terminate() == 0, worker.output


def test_a_job_running_while_redis_goes_away_ends_done_and_the_worker_goes_on(
    redis_server: RedisServer,
    outage_pool: DramatiqWorkerPool,
    make_app: Callable[..., PipelinesServer],
    command: Callable[..., Command],
    tmp_path: Path,
) -> None:
    app = make_app(outage_pool)
    worker = start_worker(outage_pool, app, command, tmp_path)
    pid_file, runs = tmp_path / "job.pid", tmp_path / "runs"
    job = app.submit_job("sleep", {"seconds": 3, "pid_file": str(pid_file), "runs": str(runs)})
    eventually(pid_file.exists, what="the job started")

    redis_server.stop()  # while the job runs
    eventually(lambda: WAITING in worker.output, what="the worker waiting for Redis")
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
    outage_pool: DramatiqWorkerPool,
    make_app: Callable[..., PipelinesServer],
    command: Callable[..., Command],
    tmp_path: Path,
) -> None:
    worker = start_worker(outage_pool, make_app(outage_pool), command, tmp_path)

    redis_server.stop()
    eventually(lambda: WAITING in worker.output, what="the worker waiting for Redis")

    assert worker.terminate() == 0, worker.output
