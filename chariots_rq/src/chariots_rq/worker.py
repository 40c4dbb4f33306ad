"""RQ workers for chariots jobs: the worker classes, a worker in the foreground (``chariots
worker``), several under RQ's ``WorkerPool``, and embedded ones that tests and docs start and stop.

Workers are real RQ workers (``rq.Worker``, forking a work horse per job, or ``rq.SimpleWorker``)
listening on the pool's queues, highest priority first, with RQ's scheduler (delayed jobs and
retry intervals) and JSON serialisation. Several workers, and embedded ones, are processes forked
from the process that loaded the app, so they run the apps registered there.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
import weakref
from multiprocessing.context import ForkContext, ForkProcess
from types import FrameType
from typing import TYPE_CHECKING

from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer
from rq.worker import BaseWorker, SimpleWorker, Worker, WorkerStatus
from rq.worker_pool import WorkerPool

from chariots_core.database import close_sqlite_connections
from chariots_core.errors import WorkerPoolError
from chariots_rq import task

if TYPE_CHECKING:
    from rq.job import Job as RQJob
    from rq.queue import Queue

    from chariots_rq._options import WorkerOptions
    from chariots_rq.pool import RQWorkerPool

logger = logging.getLogger(__name__)

#: RQ's grace, in seconds, between a job's last heartbeat and its counting as abandoned
_RQ_HEARTBEAT_GRACE = 60


class _ChariotsWorkerMixin:
    """What chariots changes in RQ's workers: how soon a job whose worker went silent counts as
    abandoned, and a cold shutdown marks the job it kills ``lost`` at once."""

    abandoned_after: int = _RQ_HEARTBEAT_GRACE
    _stop_requested: bool
    _in_dequeue: bool = False
    _torn_down: bool = False

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[misc]
        if _early_stop.is_set():  # asked to stop while starting: stop before the first job
            self._stop_requested = True

    def _shutdown(self) -> None:
        # RQ stops an idle worker by raising StopRequested from its signal handler, which only
        # its work loop catches: raised while the worker starts (before the loop), it would
        # escape, leaving the worker registered and its scheduler running. Outside a dequeue
        # (where the raise ends the wait for a job) and a job, ask the loop to stop instead.
        if self._in_dequeue or self.get_state() == WorkerStatus.BUSY:  # type: ignore[attr-defined]
            super()._shutdown()  # type: ignore[misc]
        else:
            self._stop_requested = True

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
            super().teardown()  # type: ignore[misc]

    def get_heartbeat_ttl(self, job: RQJob, working_time: float = 0.0) -> int:
        ttl: int = super().get_heartbeat_ttl(job, working_time)  # type: ignore[misc]
        return max(1, ttl - _RQ_HEARTBEAT_GRACE + self.abandoned_after)

    def fork_work_horse(self, job: RQJob, queue: Queue) -> None:
        close_sqlite_connections()  # SQLite's lock bookkeeping must not be inherited
        super().fork_work_horse(job, queue)  # type: ignore[misc]

    def main_work_horse(self, job: RQJob, queue: Queue) -> None:
        task.rq_worker_pid = self.pid  # type: ignore[attr-defined]
        super().main_work_horse(job, queue)  # type: ignore[misc]

    def request_force_stop(self, signum: int, frame: FrameType | None) -> None:
        in_hand = self.get_current_job()  # type: ignore[attr-defined]
        try:
            super().request_force_stop(signum, frame)  # type: ignore[misc]
        except SystemExit:
            if in_hand is not None:
                task.mark_lost(in_hand, native_status="worker stopped")
            raise


class ChariotsWorker(_ChariotsWorkerMixin, Worker):
    """``rq.Worker``: each job in a forked work horse, killed at the job's timeout or on stop."""


class ChariotsSimpleWorker(_ChariotsWorkerMixin, SimpleWorker):
    """``rq.SimpleWorker``: each job in the worker process itself."""


def build_worker(pool: RQWorkerPool, options: WorkerOptions, name: str | None = None) -> BaseWorker:
    """An RQ worker on the pool's queues (highest priority first)."""
    worker_class = ChariotsWorker if options.fork else ChariotsSimpleWorker
    worker: BaseWorker = worker_class(
        pool.queues,
        name=name or uuid.uuid4().hex,
        connection=pool.redis,
        serializer=JSONSerializer,
        worker_ttl=options.worker_ttl,
        job_monitoring_interval=options.job_monitoring_interval,
        maintenance_interval=options.maintenance_interval,
        work_horse_killed_handler=task.on_work_horse_killed,
    )
    worker.abandoned_after = options.abandoned_after  # type: ignore[attr-defined]
    return worker


#: set by a SIGINT/SIGTERM that arrives while a worker starts, before RQ's handlers are in place
_early_stop = threading.Event()
_early_stop_pid = 0


def _stop_early(signum: int, frame: FrameType | None) -> None:
    if os.getpid() != _early_stop_pid:
        # a process the worker forked (its scheduler, a work horse) before it set its own
        # handlers: the signal does what it would have done
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _early_stop.set()


def work(pool: RQWorkerPool, options: WorkerOptions, name: str | None = None) -> bool:
    """Run one RQ worker in this process until it is stopped (SIGINT or SIGTERM: it finishes the
    job in hand; a second one: it kills it). Returns whether it ran any job."""
    if threading.current_thread() is threading.main_thread():
        # RQ installs its handlers once registered and subscribed: a stop asked before then
        # waits for them rather than killing a worker that would stay registered
        global _early_stop_pid
        _early_stop_pid = os.getpid()
        _early_stop.clear()
        signal.signal(signal.SIGINT, _stop_early)
        signal.signal(signal.SIGTERM, _stop_early)
    worker = build_worker(pool, options, name)
    try:
        return bool(worker.work(with_scheduler=True, logging_level=options.logging_level))
    except BaseException:
        # a worker stopped before its work loop (RQ tears down only from within it): register
        # its death and stop its scheduler, or it would stay counted and its process would wait
        # for the scheduler forever
        worker.teardown()  # type: ignore[no-untyped-call]
        raise


def run_foreground(pool: RQWorkerPool, options: WorkerOptions, concurrency: int) -> None:
    """``chariots worker``: one RQ worker here, or ``concurrency`` forked ones under RQ's
    ``WorkerPool`` (which restarts a worker that dies and stops them all on SIGINT/SIGTERM)."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    if concurrency == 1:
        work(pool, options)
        return
    _ForkedWorkerPool(pool, options, concurrency).start(logging_level=options.logging_level)


class _ForkedWorkerPool(WorkerPool):
    """RQ's ``WorkerPool`` whose workers are chariots' RQ workers, forked from this process (so
    that they have its apps) with the pool's worker options."""

    def __init__(self, pool: RQWorkerPool, options: WorkerOptions, num_workers: int) -> None:
        super().__init__(
            pool.queue_names, connection=pool.redis, num_workers=num_workers,
            serializer=JSONSerializer,
        )  # fmt: skip
        self._chariots_pool = pool
        self._options = options

    def get_worker_process(
        self, name: str, burst: bool, _sleep: float = 0, logging_level: str = "INFO"
    ) -> ForkProcess:
        close_sqlite_connections()  # RQ's WorkerPool starts the process right after
        return fork_context().Process(
            target=_forked_worker_main,
            args=(self._chariots_pool, self._options, name, os.getpid()),
            name=f"chariots-rq-worker-{name}",
        )


def fork_context() -> ForkContext:
    """The ``fork`` start method: the workers inherit the apps registered in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        raise WorkerPoolError(
            "RQ workers of a chariots app are forked from the process that loaded it, and this "
            "platform cannot fork"
        )
    return multiprocessing.get_context("fork")


def _forked_worker_main(
    pool: RQWorkerPool, options: WorkerOptions, name: str, parent_pid: int
) -> None:
    _stop_when_orphaned(parent_pid)
    work(pool, options, name)


def _stop_when_orphaned(parent_pid: int, interval: float = 0.5) -> None:
    """Stop this worker gracefully (SIGTERM to itself) once the process that forked it is gone,
    so that a worker never outlives the test run or the ``chariots worker`` that started it."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="chariots-rq-orphan-watch", daemon=True).start()


class EmbeddedWorkers:
    """RQ worker processes forked from this process, for tests, docs and notebooks.

    :meth:`start` returns once each new worker is registered in Redis (so ``n_workers`` counts
    it); :meth:`stop` asks each to stop, lets it finish its job within a timeout, then stops it
    cold (its job ends ``lost``), and kills it as a last resort. Workers still running when the
    interpreter exits are stopped then.
    """

    #: seconds a new worker has to register before :meth:`start` gives up
    start_timeout = 30.0
    #: seconds a cold-stopped worker has to exit before it is killed
    kill_after = 10.0

    def __init__(self, pool: RQWorkerPool) -> None:
        self.pool = pool
        self._processes: list[tuple[str, ForkProcess]] = []
        self._lock = threading.Lock()
        _live_embedded.add(self)

    @property
    def processes(self) -> list[tuple[str, ForkProcess]]:
        """The (RQ worker name, process) of each worker started and not yet stopped."""
        with self._lock:
            return list(self._processes)

    def start(self, n: int, options: WorkerOptions) -> list[str]:
        """Fork ``n`` workers; returns their RQ names once all are registered."""
        if n < 1:
            raise ValueError(f"the number of workers to start must be at least 1, not {n}")
        context = fork_context()
        started: list[tuple[str, ForkProcess]] = []
        for _ in range(n):
            name = f"chariots-{uuid.uuid4().hex}"
            process = context.Process(
                target=_forked_worker_main,
                args=(self.pool, options, name, os.getpid()),
                name=f"chariots-rq-worker-{name}",
            )
            close_sqlite_connections()
            process.start()
            _register_exit_hook()
            started.append((name, process))
            with self._lock:
                self._processes.append((name, process))
        self._wait_registered(started)
        return [name for name, _ in started]

    def _wait_registered(self, started: list[tuple[str, ForkProcess]]) -> None:
        deadline = time.monotonic() + self.start_timeout
        waiting = dict(started)
        while waiting:
            for name, process in list(waiting.items()):
                if self.pool.redis.exists(f"{Worker.redis_worker_namespace_prefix}{name}"):
                    del waiting[name]
                elif not process.is_alive():
                    self.stop(timeout=0)
                    raise WorkerPoolError(
                        f"RQ worker {name} exited before it registered (exit code "
                        f"{process.exitcode}); see its log above"
                    )
            if waiting and time.monotonic() > deadline:
                self.stop(timeout=0)
                raise WorkerPoolError(
                    f"{len(waiting)} RQ worker(s) did not register within {self.start_timeout:g}s"
                )
            if waiting:
                time.sleep(0.02)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every worker started here: each finishes its job in hand within ``timeout``
        seconds, or is stopped cold (the job is killed and marked ``lost``)."""
        with self._lock:
            processes, self._processes = self._processes, []
        if not processes:
            return
        first_signal = time.monotonic()
        for _, process in processes:
            _signal(process, signal.SIGTERM)
        deadline = first_signal + max(0.0, timeout)
        for _, process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        alive = [process for _, process in processes if process.is_alive()]
        if alive:
            # RQ ignores a second signal within a second of the first; the second one is cold
            time.sleep(max(0.0, first_signal + 1.1 - time.monotonic()))
            for process in alive:
                _signal(process, signal.SIGTERM)
            cold_deadline = time.monotonic() + self.kill_after
            for process in alive:
                process.join(max(0.0, cold_deadline - time.monotonic()))
            for process in alive:
                if process.is_alive():
                    logger.warning("RQ worker pid %s did not stop: killed", process.pid)
                    process.kill()
                    process.join()
        for _, process in processes:
            process.close()


def _signal(process: ForkProcess, signum: int) -> None:
    if process.pid is not None and process.is_alive():
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)


_live_embedded: weakref.WeakSet[EmbeddedWorkers] = weakref.WeakSet()
_exit_hook_lock = threading.Lock()
_exit_hook_registered = False


def _stop_embedded_workers_at_exit() -> None:
    for workers in list(_live_embedded):
        if workers.processes:
            workers.stop(timeout=5.0)


def _register_exit_hook() -> None:
    """Stop embedded workers at exit, before multiprocessing's own exit hook (registered when a
    first process starts) waits for every child: atexit runs the last registered first."""
    global _exit_hook_registered
    with _exit_hook_lock:
        if not _exit_hook_registered:
            atexit.register(_stop_embedded_workers_at_exit)
            _exit_hook_registered = True
