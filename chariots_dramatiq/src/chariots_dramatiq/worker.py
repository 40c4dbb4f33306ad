"""What runs in a Dramatiq worker: the actor's function (each message to the chariots runtime),
the middleware that keeps the worker roster, and one chariots worker process's life.

The actor and the middleware are declared on the pool's broker when the pool is built, so that
a team's own ``dramatiq proj`` workers (``proj`` building the chariots app) run chariots jobs and
are counted too, as the processes of ``chariots worker`` and ``start_workers`` are.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import dramatiq
from dramatiq.broker import Broker

from chariots_core.errors import BadRequest
from chariots_core.jobs import JobMessage
from chariots_core.workers import MessageAction, new_worker_id, run_job
from chariots_core.workers.kit import run_in_work_horse
from chariots_dramatiq.brokers import forget_parent_connections

if TYPE_CHECKING:
    from chariots_dramatiq.pool import DramatiqWorkerPool

logger = logging.getLogger(__name__)

#: milliseconds a stopping Dramatiq worker waits for its jobs in hand (the kit kills sooner)
_STOP_TIMEOUT_MS = 24 * 3600 * 1000
_local = threading.local()
#: held by a thread while its work horse forks and runs, and by the roster's heartbeat: no
#: thread of this process uses a database while another forks (see the kit's ``forking``)
_job_lock = threading.Lock()


def _new_lock_in_child() -> None:
    global _job_lock
    _job_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def thread_worker_id() -> str:
    """This thread's chariots worker id (``host:pid:dramatiq-…``: a process of its own)."""
    pid, worker_id = getattr(_local, "worker_id", (0, ""))
    if pid != os.getpid():
        worker_id = new_worker_id("dramatiq")
        _local.worker_id = (os.getpid(), worker_id)
    return str(worker_id)


def perform(pool: DramatiqWorkerPool, message_json: str) -> None:
    """Run one delivery of a chariots job: the function of the pool's actor. Returning
    acknowledges the message (the job's end is recorded by then); a job to run later (a retry,
    not due yet, held by a live worker) is sent again with its delay first. An error of the
    runtime itself (its job store out of reach) raises: Dramatiq retries it with backoff."""
    try:
        message = JobMessage.from_json(message_json)
    except BadRequest as error:
        logger.error("dropped a message that is not a chariots job message: %s", error)
        return
    if pool.fork:
        with _job_lock:  # one job at a time per process: see the module's docstring
            outcome = run_in_work_horse(message, thread_worker_id(), pool.roster_middleware.beat)
    else:
        outcome = run_job(message, thread_worker_id())
    if outcome.action is MessageAction.later:
        pool.send(message_json, message.options.priority, outcome.delay)
    elif outcome.reason:
        logger.info("job %s: message dropped (%s)", outcome.job_id, outcome.reason)


class RosterMiddleware(dramatiq.Middleware):
    """Puts the worker threads of each Dramatiq worker consuming the pool's queue on the worker
    roster (one each: ``n_workers`` counts the jobs they run at once), beats for them, and
    takes them off when the worker stops."""

    def __init__(self, pool: DramatiqWorkerPool) -> None:
        self.pool = pool
        self._ids: list[str] = []
        self._stop = threading.Event()
        self._next_beat = 0.0

    def before_worker_boot(self, broker: Broker, worker: dramatiq.Worker) -> None:
        roster = self.pool.roster
        if worker.consumer_whitelist and self.pool.queue not in worker.consumer_whitelist:
            return
        if roster is None:
            logger.warning("%r is attached to no app: its workers are not counted", self.pool)
            return
        self._ids = [new_worker_id(f"dramatiq-{n}") for n in range(worker.worker_threads)]
        with _job_lock:
            roster.join(self._ids)
        self._stop = threading.Event()
        threading.Thread(target=self._beat, name="chariots-roster", daemon=True).start()

    def after_worker_shutdown(self, broker: Broker, worker: dramatiq.Worker) -> None:
        roster, ids, self._ids = self.pool.roster, self._ids, []
        self._stop.set()
        if roster is None:
            return
        with _job_lock:
            for worker_id in ids:
                try:
                    roster.leave(worker_id)
                except Exception:  # its row goes stale and another worker's beat removes it
                    logger.warning("worker %s could not sign off", worker_id, exc_info=True)

    def beat(self) -> None:
        """Beat for this process's workers, at most every beat interval (a work horse's
        ``while_waiting``, in the thread holding the job lock)."""
        roster = self.pool.roster
        if roster is None or not self._ids or time.monotonic() < self._next_beat:
            return
        self._next_beat = time.monotonic() + roster.beat_interval
        try:
            roster.beat(self._ids)
        except Exception:  # a missed beat is retried at the next interval
            logger.warning("the roster heartbeat of %s failed", self._ids, exc_info=True)

    def _beat(self) -> None:
        roster = self.pool.roster
        while roster is not None and not self._stop.wait(roster.beat_interval / 2):
            if _job_lock.acquire(blocking=False):  # else the job's thread beats
                try:
                    self.beat()
                finally:
                    _job_lock.release()


def work(pool: DramatiqWorkerPool, ready: Callable[[], None]) -> None:
    """One chariots worker process's life: a Dramatiq worker on the pool's queue, with
    ``pool.threads`` threads, each holding at most the message it runs; ``ready()`` once it is
    on the roster. SIGTERM or SIGINT stop it once its jobs in hand are done."""
    stop = threading.Event()
    with _stop_on_signals(stop):
        if pool.forked():
            forget_parent_connections(pool.broker)
        pool.broker.emit_after("process_boot")
        worker = dramatiq.Worker(
            pool.broker,
            queues={pool.queue},
            worker_timeout=max(1, round(pool.worker_timeout * 1000)),
            worker_threads=pool.threads,
        )
        worker.queue_prefetch = pool.threads  # a busy worker holds no second message
        worker.start()
        try:
            ready()
            while not stop.wait(0.5):
                pass
        finally:
            worker.stop(timeout=_STOP_TIMEOUT_MS)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, on_signal) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_SIGNALS = (signal.SIGTERM, signal.SIGINT)
