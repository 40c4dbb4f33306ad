"""Recovery: the core's own check that no job is left behind, whatever the backend.

A run whose worker died is ended by the job store (queued again with its runs left, else
``lost``); :func:`recover_jobs` then sends such a job's message again through the pool, and asks
the pool about jobs queued long past their due time, whose message the broker may have lost (a
broker restarted without persistence): a message the pool no longer holds is sent again, up to
:data:`MAX_RESUBMITS` times, after which the job ends ``lost`` saying why. A duplicate delivery
is harmless: the first claim wins, and the others find the job taken or finished.

Servers run it as they read jobs, at most once per :attr:`JobRecovery.interval`; ``chariots
worker`` runs it in the background.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from chariots_core.jobs import JobMessage, JobStore
from chariots_core.workers._base_pool import BaseWorkerPool
from chariots_core.workers._submitted import submitted_status

__all__ = ["MAX_RESUBMITS", "JobRecovery", "Recovered", "recover_jobs"]

logger = logging.getLogger(__name__)

#: how many times the core sends a job's message again before it takes the job for lost
MAX_RESUBMITS = 5


@dataclass
class Recovered:
    """What one pass of :func:`recover_jobs` did."""

    #: runs of dead workers ended: jobs queued again, and jobs ended lost (no run left)
    requeued: int = 0
    lost: int = 0
    #: messages sent again, and queued jobs found still held by their broker
    resent: int = 0
    held: int = 0
    #: the pool answered ``None`` (it cannot tell) about a job no worker took
    cannot_tell: bool = False

    def __bool__(self) -> bool:
        return bool(self.requeued or self.lost or self.resent)


def recover_jobs(
    store: JobStore, pool: BaseWorkerPool, *, limit: int = 100, stuck: bool = True
) -> Recovered:
    """One pass: end the runs of dead workers, then send again the messages of queued jobs that
    are due to be sent again (their worker died) or, with ``stuck``, queued long past their due
    time and no longer held by the pool (see :meth:`BaseWorkerPool.holds_message`)."""
    recovered = Recovered()
    recovered.requeued, recovered.lost = store.requeue_stale()
    if not store.resend_messages:  # the broker alone delivers (see JobStore.resend_messages)
        return recovered
    for check in store.queued_to_check(limit, stuck=stuck):
        held = _holds(pool, check.id)
        if held is True or (held is None and not check.resend):
            # where it should be, or a pool that cannot tell about a job no worker took
            store.checked(check.id, check.resubmits)
            recovered.cannot_tell = recovered.cannot_tell or held is None
            recovered.held += 1
            continue
        if check.message is None or check.resubmits >= MAX_RESUBMITS:
            why = (
                "no copy of its message was kept (a job from before chariots kept them)"
                if check.message is None
                else f"its message was sent {check.resubmits + 1} times and lost each time"
            )
            if store.lose_queued(check.id, f"the broker does not hold the job's message: {why}"):
                recovered.lost += 1
            continue
        if not store.take_resend(check.id, check.resubmits):
            continue  # another recovery (or a worker's claim) got there first
        try:
            native_status = submitted_status(pool, pool.submit(JobMessage.from_json(check.message)))
        except Exception as error:  # the next check, stuck_after from now, tries again
            logger.warning("could not send job %s's message again: %s", check.id, error)
            continue
        if native_status is not None:
            store.set_native_status(check.id, native_status)
        recovered.resent += 1
        logger.warning(
            "sent job %s's message again (%s)",
            check.id,
            "its worker died" if check.resend else f"{pool.describe()} no longer held it",
        )
    return recovered


def _holds(pool: BaseWorkerPool, job_id: str) -> bool | None:
    try:
        return pool.holds_message(job_id)
    except Exception as error:  # a broker out of reach: ask again at the next pass
        logger.warning("could not ask %s about job %s: %s", pool.describe(), job_id, error)
        return True


class JobRecovery:
    """:func:`recover_jobs` for one store and pool, at most once per ``interval`` seconds."""

    def __init__(self, store: JobStore, pool: BaseWorkerPool, interval: float | None = None):
        self.store = store
        self.pool = pool
        #: by default a quarter of the heartbeat timeout, between 0.2 and 5 seconds
        self.interval = (
            min(5.0, max(0.2, store.heartbeat_timeout / 4)) if interval is None else interval
        )
        self._lock = threading.Lock()
        self._last = float("-inf")
        #: whether to ask the pool about jobs stuck in its queue: not once it answered that it
        #: cannot tell (``holds_message`` gave ``None``)
        self._asks_about_stuck = True

    def maybe_run(self) -> Recovered | None:
        """Run a pass if none ran within ``interval`` (and none is running); never raises."""
        if time.monotonic() - self._last < self.interval:
            return None
        if not self._lock.acquire(blocking=False):
            return None
        try:
            self._last = time.monotonic()
            recovered = recover_jobs(self.store, self.pool, stuck=self._asks_about_stuck)
            if recovered.cannot_tell:
                self._asks_about_stuck = False
            return recovered
        except Exception as error:  # the database out of reach: the next pass tries again
            logger.warning("job recovery failed: %s", error)
            return None
        finally:
            self._lock.release()

    @contextmanager
    def in_background(self) -> Iterator[None]:
        """Run passes every ``interval`` in a thread while the block runs. A fork waits for the
        pass in progress (the child must not inherit a half-used connection)."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(self.interval):
                with _FORK_LOCK:
                    self.maybe_run()

        thread = threading.Thread(target=loop, name="chariots-job-recovery", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=self.interval + 5)


#: held by a pass in a background thread, and taken by every fork of this process: a child never
#: inherits a connection in the middle of a pass
_FORK_LOCK = threading.Lock()
os.register_at_fork(
    before=_FORK_LOCK.acquire,
    after_in_parent=_FORK_LOCK.release,
    after_in_child=_FORK_LOCK.release,
)
