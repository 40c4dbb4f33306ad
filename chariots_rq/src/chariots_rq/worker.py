"""RQ's workers (``rq.Worker``, a work horse per job, or ``rq.SimpleWorker``) as chariots changes
them, and one worker's life (:func:`work`), in the foreground or in the kit's worker processes."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.worker import BaseWorker, SimpleWorker, Worker, WorkerStatus

from chariots_core.workers import kit
from chariots_rq import task

if TYPE_CHECKING:
    from rq.job import Job as RQJob
    from rq.queue import Queue

    from chariots_rq.pool import RQWorkerPool, WorkerOptions


class PoolScheduler(RQScheduler):
    """RQ's scheduler (delays, retries' intervals) for all the worker's queues as one: one lock,
    the pool's (RQ's takes one per queue), and one ``EXISTS`` a second on their registries of
    scheduled jobs before RQ's check of each (so, idle, it costs what RQ's does for one queue)."""

    def __init__(self, worker: Any, logging_level: Any) -> None:
        self.pool_queues = worker.queue_names()
        self.registry_keys = [queue.scheduled_job_registry.key for queue in worker.queues]
        super().__init__([worker.scheduler_lock], worker.connection,
                         logging_level=logging_level, serializer=worker.serializer)  # fmt: skip

    def prepare_registries(self, queue_names: Any = None) -> None:
        super().prepare_registries(queue_names or self.pool_queues)

    def enqueue_scheduled_jobs(self) -> None:
        if self._acquired_locks and self.connection.exists(*self.registry_keys):
            super().enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]


class _ChariotsWorkerMixin:
    """What chariots changes in RQ's workers: readiness once listening, how soon a job whose
    worker went silent counts as abandoned, and fork hygiene."""

    abandoned_after: int = 60  # RQ's grace after a job's next beat was due
    scheduler_lock: str = "chariots:p*"  # its pool's queue name and ``:p*``
    scheduler: RQScheduler | None = None
    on_ready: Callable[[], None] | None = None
    _stop_requested: bool
    _in_dequeue: bool = False
    _torn_down: bool = False

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[misc]
        if kit.early_stop.is_set():  # asked to stop while starting: stop before the first job
            self._stop_requested = True
        if self.on_ready is not None:  # registered, listening, and its handlers in place
            self.on_ready()

    def _shutdown(self) -> None:
        # RQ stops an idle worker by raising StopRequested from its signal handler, caught only
        # in its work loop: outside a dequeue (where it ends the wait) and a job, ask the loop
        self._stop_requested = True  # (a stop, not an outage, ended the loop)
        if self._in_dequeue or self.get_state() == WorkerStatus.BUSY:  # type: ignore[attr-defined]
            super()._shutdown()  # type: ignore[misc]

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[RQJob, Queue] | None:
        self._in_dequeue = True
        try:
            if self._stop_requested:
                raise StopRequested
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)  # type: ignore[misc, no-any-return]
        finally:
            self._in_dequeue = False

    def teardown(self) -> None:
        if not self._torn_down:
            self._torn_down = True
            with contextlib.suppress(RedisConnectionError, RedisTimeoutError):  # Redis is gone
                super().teardown()  # type: ignore[misc]

    def get_heartbeat_ttl(self, job: RQJob, working_time: float = 0.0) -> int:
        # each interval, while the job runs and past its timeout (its failure being recorded):
        # RQ's shrinks to the grace there, and RQ's simple worker beats for no job it runs
        return int(self.job_monitoring_interval) + self.abandoned_after  # type: ignore[attr-defined]

    def execute_job(self, job: RQJob, queue: Queue) -> None:
        if not task.refused(job):  # a job naming another function is removed, never imported
            if isinstance(self, Worker):  # warm before RQ registers the job: a slow warm-up
                kit.prepare_fork()  # ran out its first beat's TTL and it was taken for abandoned
            super().execute_job(job, queue)  # type: ignore[misc]

    def _start_scheduler(self, burst: bool = False, logging_level: Any = None, *_: Any) -> None:
        # RQ's (but for bursts: chariots never asks for one), with a PoolScheduler
        self.scheduler = PoolScheduler(self, logging_level or self.log.level)  # type: ignore[attr-defined]
        self.scheduler.acquire_locks(auto_start=True)  # type: ignore[no-untyped-call]

    def stop_scheduler(self) -> None:
        # RQ joins its scheduler without a bound, from its SIGTERM handler: bound it, then kill
        process = self.scheduler._process if self.scheduler else None
        if process is not None and process.pid:
            process.terminate()
            process.join(5)
            process.kill()  # if it still runs
            process.join()

    def handle_exception(self, job: RQJob, *exc_info: Any) -> None:
        if not isinstance(exc_info[1], task.JobFailed):  # else chariots logged the job's error
            super().handle_exception(job, *exc_info)  # type: ignore[misc]

    def main_work_horse(self, job: RQJob, queue: Queue) -> None:
        task.rq_worker_pid = self.pid  # type: ignore[attr-defined]
        super().main_work_horse(job, queue)  # type: ignore[misc]


class ChariotsWorker(_ChariotsWorkerMixin, Worker):
    """``rq.Worker``: each job in a forked work horse, killed at the job's timeout or on stop."""


class ChariotsSimpleWorker(_ChariotsWorkerMixin, SimpleWorker):
    """``rq.SimpleWorker``: each job in the worker process itself, beating for it meanwhile."""

    def perform_job(self, job: RQJob, queue: Queue, ex: Any) -> bool:
        with kit.beating(lambda: self.maintain_heartbeats(job, ex), self.job_monitoring_interval):
            return super().perform_job(job, queue, ex)


def build_worker(pool: RQWorkerPool, options: WorkerOptions, name: str | None = None) -> BaseWorker:
    """An RQ worker on the pool's queues (highest priority first)."""
    worker_class = ChariotsWorker if options.fork else ChariotsSimpleWorker
    worker: BaseWorker = worker_class(
        pool.queues,
        name=name or f"chariots-{uuid.uuid4().hex}",
        connection=pool.redis,
        serializer=JSONSerializer,
        worker_ttl=options.worker_ttl,
        job_monitoring_interval=options.job_monitoring_interval,
        maintenance_interval=options.maintenance_interval,
        work_horse_killed_handler=task.on_work_horse_killed,
    )
    worker.abandoned_after = options.abandoned_after  # type: ignore[attr-defined]
    worker.scheduler_lock = f"{pool.queue_name}:p*"  # type: ignore[attr-defined]
    return worker


def work(
    pool: RQWorkerPool, options: WorkerOptions, ready: Callable[[], None] | None = None
) -> None:
    """Run one RQ worker in this process until it is stopped (SIGINT or SIGTERM: it finishes the
    job in hand; a second one: it kills it), calling ``ready()`` once it listens; through Redis
    outages, on which RQ's loop quits, it runs again once Redis is back."""
    kit.hold_stops_until_ready()  # RQ installs its handlers once registered and subscribed
    workers: list[BaseWorker] = []

    def run_once() -> None:
        workers.append(worker := build_worker(pool, options))
        worker.on_ready = ready  # type: ignore[attr-defined]
        try:
            with kit.orphans_stop():  # its scheduler (and horses) end if it is killed
                worker.work(with_scheduler=True, logging_level=options.logging_level)
        finally:  # a worker stopped before its loop (where RQ tears down) or by an outage
            worker.teardown()  # type: ignore[no-untyped-call]

    kit.run_through_outages(
        run_once, answers=pool.redis.ping, what=pool.describe(),
        stop_requested=lambda: workers[-1]._stop_requested,
        outage_errors=(RedisConnectionError, RedisTimeoutError),
    )  # fmt: skip
