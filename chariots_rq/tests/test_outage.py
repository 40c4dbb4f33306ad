"""A Redis outage: an RQ worker (``chariots worker``) whose Redis goes away waits for it, saying
so, and goes on running jobs once it is back; a stop asked during the outage still ends it
cleanly. RQ retries by itself while it waits for a job, and quits on a lost connection at any
other moment (its heartbeat after a job, its maintenance): chariots then runs its loop again
once Redis answers (:func:`chariots_core.workers.kit.run_through_outages`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from rq_test_support import DEADLINE, CLIWorker, eventually

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.services import RedisServer
from chariots_rq import RQWorkerPool

#: what the worker logs while Redis is away: RQ's words (waiting for a job), or chariots'
WAITING = ("could not connect to Redis instance", "does not answer: trying again")


def waiting_for_redis(worker: CLIWorker) -> bool:
    return any(line in worker.output for line in WAITING)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of this test's own, which the test stops and starts again on the same port."""
    server = RedisServer().start()
    yield server
    server.stop()


def test_a_worker_rides_out_a_redis_restart(
    redis_server: RedisServer,
    make_app: Callable[..., PipelinesServer],
    cli_worker: Callable[..., CLIWorker],
) -> None:
    url = f"rq://127.0.0.1:{redis_server.port}/0?" + urlencode({"worker_ttl": 30})
    pool = RQWorkerPool.from_url(url)
    app = make_app(pool)
    worker = cli_worker(app, url)
    eventually(lambda: pool.n_workers == 1, what="the worker registered")
    first = app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE)
    assert (first.status, first.result) == (JobStatus.done, 2)

    redis_server.stop()
    eventually(lambda: waiting_for_redis(worker), what="the worker waiting for Redis")
    assert worker.process.poll() is None, worker.output
    redis_server.start()  # empty, on the same port: a Redis restarted without persistence

    second = app.wait_for_job(app.submit_job("add_one", 2).id, DEADLINE)
    assert (second.status, second.result) == (JobStatus.done, 3)
    assert worker.process.poll() is None, worker.output
    assert worker.terminate() == 0, worker.output


def test_a_worker_whose_loop_redis_broke_runs_it_again_once_redis_is_back(
    redis_server: RedisServer,
    make_app: Callable[..., PipelinesServer],
    cli_worker: Callable[..., CLIWorker],
    tmp_path: Path,
) -> None:
    """Redis goes away while the worker runs a job: RQ's loop quits after it (its heartbeat
    fails), and chariots runs the loop again once Redis answers."""
    url = f"rq://127.0.0.1:{redis_server.port}/0"
    pool = RQWorkerPool.from_url(url)
    app = make_app(pool)
    worker = cli_worker(app, url)
    eventually(lambda: pool.n_workers == 1, what="the worker registered")
    pid_file = tmp_path / "job.pid"
    app.submit_job("sleep", {"seconds": 3, "pid_file": str(pid_file)})
    eventually(pid_file.exists, what="the job started")

    redis_server.stop()  # while the job runs
    eventually(lambda: "does not answer" in worker.output, what="chariots waiting for Redis")
    redis_server.start()

    eventually(lambda: "answers again: going on" in worker.output, what="the loop run again")
    after = app.wait_for_job(app.submit_job("add_one", 2).id, DEADLINE)
    assert (after.status, after.result) == (JobStatus.done, 3)
    assert worker.terminate() == 0, worker.output


def test_a_stop_during_an_outage_ends_the_worker(
    redis_server: RedisServer,
    make_app: Callable[..., PipelinesServer],
    cli_worker: Callable[..., CLIWorker],
) -> None:
    url = f"rq://127.0.0.1:{redis_server.port}/0"
    pool = RQWorkerPool.from_url(url)
    worker = cli_worker(make_app(pool), url)
    eventually(lambda: pool.n_workers == 1, what="the worker registered")

    redis_server.stop()
    eventually(lambda: waiting_for_redis(worker), what="the worker waiting for Redis")

    assert worker.terminate() == 0, worker.output
