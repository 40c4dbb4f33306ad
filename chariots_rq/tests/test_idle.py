"""What an idle worker costs Redis (issue #15: no more than RQ's own worker), counted in
commands, not timed; and that its scheduler still serves every priority's delays and retries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from redis import ConnectionPool, Redis
from rq import Queue
from rq.scheduler import RQScheduler
from rq_test_support import submit_fails_first

from chariots_core.jobs import JobOptions, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE
from chariots_rq import RQWorkerPool
from chariots_rq.worker import build_worker


def counting_client(redis: Redis) -> tuple[Redis, list[str]]:
    """A client to ``redis``'s server that lists the commands it sends (pipelines' too)."""
    sent: list[str] = []
    base: Any = redis.connection_pool.connection_class

    class Counting(base):  # type: ignore[misc, valid-type]
        def send_command(self, *args: Any, **kwargs: Any) -> None:
            sent.append(str(args[0]))
            super().send_command(*args, **kwargs)

        def pack_commands(self, commands: Any) -> Any:
            sent.extend(str(command[0]) for command in commands)
            return super().pack_commands(commands)

    kwargs = redis.connection_pool.connection_kwargs
    return Redis(connection_pool=ConnectionPool(connection_class=Counting, **kwargs)), sent


@pytest.fixture
def schedulers_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Schedulers that take their locks but start no process: the test runs their cycles."""
    monkeypatch.setattr(RQScheduler, "start", lambda self: None)


def pool_scheduler(pool: RQWorkerPool) -> Iterator[RQScheduler]:
    """The scheduler a worker of ``pool`` starts (its locks taken), released at the end."""
    worker = build_worker(pool, pool.worker_options)
    worker._start_scheduler(False, "WARNING")
    assert worker.scheduler is not None
    try:
        yield worker.scheduler
    finally:
        worker.scheduler.release_locks()


@pytest.fixture
def scheduler(pool: RQWorkerPool, schedulers_in_process: None) -> Iterator[RQScheduler]:
    yield from pool_scheduler(pool)


def commands_per_cycle(scheduler: RQScheduler, cycles: int = 5) -> float:
    """Commands of the scheduler's cycles (its heartbeat, then its check for due jobs)."""
    scheduler._connection, sent = counting_client(scheduler.connection)
    scheduler.heartbeat()  # connected, its script loaded: what every later cycle does
    scheduler.enqueue_scheduled_jobs()
    sent.clear()
    for _ in range(cycles):
        scheduler.heartbeat()
        scheduler.enqueue_scheduled_jobs()
    return len(sent) / cycles


def test_an_idle_workers_scheduler_costs_what_rqs_costs_for_one_queue(
    pool: RQWorkerPool, scheduler: RQScheduler, queue_name: str
) -> None:
    """RQ's own scheduler takes a lock and checks a registry per queue every second: 21 of
    each for the pool's priority queues, ten times the commands of a worker on one queue."""
    assert len(pool.queues) == 21
    raw = RQScheduler([Queue(f"{queue_name}-raw", connection=pool.redis)], pool.redis)
    assert raw.acquire_locks()
    try:
        raw_cost = commands_per_cycle(raw)
    finally:
        raw.release_locks()

    assert scheduler.acquired_locks  # it is the pool's scheduler
    assert commands_per_cycle(scheduler) <= raw_cost


def test_due_jobs_of_every_priority_go_to_their_own_queue(
    pool: RQWorkerPool, app: PipelinesServer, scheduler: RQScheduler
) -> None:
    jobs = {level: app.submit_job("add_one", level, JobOptions(delay=600, priority=level))
            for level in (7, 0, -4)}  # fmt: skip
    scheduler.enqueue_scheduled_jobs()
    assert all(pool.queue_for(level).job_ids == [] for level in jobs)  # not due yet

    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    for level, job in jobs.items():  # due now
        registry = pool.queue_for(level).scheduled_job_registry
        registry.schedule(registry.job_class.fetch(job.id, connection=pool.redis), past)
    scheduler.enqueue_scheduled_jobs()

    assert {level: pool.queue_for(level).job_ids for level in jobs} == {
        level: [job.id] for level, job in jobs.items()
    }
    assert all(queue.scheduled_job_registry.count == 0 for queue in pool.queues)


def test_delays_and_retry_intervals_of_other_priorities_run(
    pool: RQWorkerPool, app: PipelinesServer, tmp_path: Path
) -> None:
    pool.start_workers(1)

    delayed = app.submit_job("add_one", 1, JobOptions(delay=1, priority=7))
    retried, _ = submit_fails_first(
        app, tmp_path, 1, JobOptions(retries=1, retry_interval=1, priority=-4)
    )

    done = app.wait_for_job(delayed.id, DEADLINE)
    assert (done.status, done.result) == (JobStatus.done, 2)
    done = app.wait_for_job(retried.id, DEADLINE)
    assert (done.status, done.result, done.attempts) == (JobStatus.done, 2, 2)
