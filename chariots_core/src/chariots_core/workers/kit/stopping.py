"""Stopping a backend's worker: wait for the jobs in hand, not for a broker that does not answer.

A backend's graceful stop waits for its worker threads, and a thread may be waiting for the
broker rather than for a job: Dramatiq's, for one, retries the acknowledgement of a message
whose job is over every few seconds until the broker comes back, however long it is away. Past
the job, chariots needs none of it: the job's end is in its record, and a message delivered
again once the broker is back is dropped at its claim (the job is finished). So a worker counts
its jobs in hand (:class:`JobsInHand`) and stops through :func:`stop_for_jobs_in_hand`, which
waits for the backend's stop for as long as a job runs, and at most ``grace`` seconds once none
does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["JobsInHand", "stop_for_jobs_in_hand"]

logger = logging.getLogger(__name__)

#: seconds between two looks at a stopping worker
_LOOK_INTERVAL = 0.1


class JobsInHand:
    """How many jobs the workers of this process run now."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Count one job in hand for the block (around each run of ``run_job``)."""
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1

    def __len__(self) -> int:
        with self._lock:
            return self._count


def stop_for_jobs_in_hand(
    stop: Callable[[], object], jobs: JobsInHand, *, grace: float, what: str
) -> bool:
    """Run ``stop`` (the backend worker's graceful stop) in a thread of its own, and wait for it
    as long as ``jobs`` holds a job, then at most ``grace`` seconds more. Whether it finished: if
    not, it goes on in its (daemon) thread, and a warning says that ``what`` stopped without it
    (an unacknowledged message of a finished job is delivered again later, and dropped)."""
    stopper = threading.Thread(target=stop, name="chariots-worker-stop", daemon=True)
    stopper.start()
    idle_since: float | None = None
    while stopper.is_alive():
        stopper.join(_LOOK_INTERVAL)
        if len(jobs):
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= grace:
            logger.warning(
                "%s stopped without waiting for its broker any longer: no job was in hand for "
                "%gs, and its stop still waited (an unreachable broker?); a message whose job "
                "ended is delivered again once the broker is back, and dropped",
                what,
                grace,
            )
            return False
    return True
