"""What runs in a Dramatiq worker: the actor's function (each message to the chariots runtime),
the middleware keeping the worker roster, and one chariots worker process's life.

The actor and the middleware are declared on the pool's broker when the pool is built, so that
a team's own ``dramatiq proj`` workers (``proj`` building the chariots app) run chariots jobs and
are counted too, as the processes of ``chariots worker`` and ``start_workers`` are.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import threading
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import dramatiq
from dramatiq.broker import Broker

from chariots_core.errors import BadRequest
from chariots_core.jobs import JobMessage
from chariots_core.workers import MessageAction, kit, new_worker_id, run_job
from chariots_core.workers.kit import InlineHeartbeat, SignalLatch, WorkerRoster, run_in_work_horse
from chariots_dramatiq.brokers import forget_parent_connections

if TYPE_CHECKING:
    from chariots_dramatiq.pool import DramatiqWorkerPool

logger = logging.getLogger(__name__)

_local = threading.local()
SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: held while a work horse forks and runs (one job at a time), and by the roster's heartbeat
_job_lock = threading.RLock()
#: the jobs this process runs: a stop waits for them, and past them for its broker 10 s at most
_jobs, _STOP_GRACE = kit.JobsInHand(), 10.0


def perform(pool: DramatiqWorkerPool, message_json: str) -> None:
    """Run one delivery of a chariots job (the pool's actor). Returning acknowledges the message
    (the job's end is recorded by then); a job to run later (a retry, not due yet, held by a live
    worker) is sent again with its delay first. An error of the runtime itself (its job store
    out of reach) raises: Dramatiq's Retries middleware delivers it again, with backoff."""
    try:
        message = JobMessage.from_json(message_json)
    except BadRequest as error:
        logger.error("dropped a message that is not a chariots job message: %s", error)
        return
    if not hasattr(_local, "worker_id"):  # one per thread: host:pid:dramatiq-…
        _local.worker_id = new_worker_id("dramatiq")
    with _jobs.holding():
        if pool.fork:
            with _job_lock:
                heartbeat = pool.roster_middleware.heartbeat
                outcome = run_in_work_horse(message, _local.worker_id, heartbeat)
        else:
            outcome = run_job(message, _local.worker_id)
    if outcome.action is MessageAction.later:
        pool.send(message_json, message.options.priority, outcome.delay)


class LockedRoster(WorkerRoster):
    """The worker roster, beaten only while no thread of this process forks or runs a work
    horse: that thread beats meanwhile (the kit's rule: no thread uses a database while
    another forks)."""

    def beat(self, worker_ids: Collection[str]) -> None:
        if _job_lock.acquire(blocking=False):  # reentrant: the job's own thread may
            try:
                super().beat(worker_ids)
            finally:
                _job_lock.release()


class RosterMiddleware(dramatiq.Middleware):
    """Puts each Dramatiq worker consuming the pool's queue on the worker roster, as many times
    as it runs jobs at once (its threads; one with ``fork``), for as long as it runs."""

    def __init__(self, pool: DramatiqWorkerPool) -> None:
        self.pool = pool
        self.heartbeat: InlineHeartbeat | None = None
        self._membership = contextlib.ExitStack()

    def before_worker_boot(self, broker: Broker, worker: dramatiq.Worker) -> None:
        roster, whitelist = self.pool.roster, worker.consumer_whitelist
        if roster is None or (whitelist and self.pool.queue not in whitelist):
            return
        slots = 1 if self.pool.fork else worker.worker_threads
        ids = [new_worker_id(f"dramatiq-{slot}") for slot in range(slots)]
        self._membership.enter_context(roster.membership(ids))
        self.heartbeat = InlineHeartbeat(roster, ids[0])

    def after_worker_shutdown(self, broker: Broker, worker: dramatiq.Worker) -> None:
        self._membership.close()


def work(pool: DramatiqWorkerPool, ready: Callable[[], None]) -> None:
    """One chariots worker process: a Dramatiq worker on the pool's queue with ``pool.threads``
    threads, each holding no message but the one it runs; ``ready()`` once it is on the
    roster. SIGTERM or SIGINT stop it once its jobs in hand are done."""
    stop = SignalLatch()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = [(signum, signal.signal(signum, on_signal)) for signum in SIGNALS]
    try:
        forget_parent_connections(pool.broker)  # a forked process, or one that has used none
        pool.broker.emit_after("process_boot")
        worker = dramatiq.Worker(
            pool.broker,
            queues={pool.queue},
            worker_timeout=max(1, round(pool.worker_timeout * 1000)),
            worker_threads=pool.threads,
        )
        worker.queue_prefetch = pool.threads
        worker.start()
        try:
            ready()
            stop.wait()
        finally:  # jobs in hand may take a day (the kit kills sooner); acks to a broker away, no
            stop_worker = functools.partial(worker.stop, timeout=24 * 3600 * 1000)  # ms
            kit.stop_for_jobs_in_hand(stop_worker, _jobs, grace=_STOP_GRACE, what="dramatiq worker")
    finally:
        stop.close()
        for signum, handler in previous:
            signal.signal(signum, handler)
