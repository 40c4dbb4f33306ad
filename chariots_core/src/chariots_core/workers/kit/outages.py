"""Riding out a broker outage: a worker whose broker goes away waits for it and goes on.

Backends differ in what a lost connection does to their worker loop: Celery and Dramatiq
reconnect on their own; RQ retries only while it waits for a job, and quits when Redis fails at
any other moment (its heartbeat after a job, its maintenance). :func:`run_through_outages` runs
such a loop again once the broker answers, with back-off and a log line per wait, and gives up,
raising :class:`~chariots_core.errors.WorkerPoolError`, only when the loop keeps ending while its
broker answers (a worker that cannot go on exits non-zero).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

from chariots_core.errors import WorkerPoolError

__all__ = ["run_through_outages", "wait_for_broker"]

logger = logging.getLogger(__name__)

#: seconds between two looks at a stop request while waiting for the broker
_STOP_CHECK = 0.1


def wait_for_broker(
    answers: Callable[[], bool],
    stop_requested: Callable[[], bool],
    what: str,
    *,
    first_wait: float = 0.5,
    max_wait: float = 30.0,
) -> bool:
    """Wait until ``answers()`` (the broker is back), doubling the wait up to ``max_wait``, with
    one log line per attempt; ``False`` if a stop was asked meanwhile."""
    wait = first_wait
    while not stop_requested():
        if _answers(answers):
            logger.warning("%s answers again: going on", what)
            return True
        logger.warning("%s does not answer: trying again in %.1fs", what, wait)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if stop_requested():
                return False
            time.sleep(min(_STOP_CHECK, max(0.0, deadline - time.monotonic())))
        wait = min(wait * 2, max_wait)
    return False


def run_through_outages(
    run_once: Callable[[], object],
    *,
    answers: Callable[[], bool],
    stop_requested: Callable[[], bool],
    what: str,
    outage_errors: tuple[type[BaseException], ...] = (),
    max_restarts: int = 5,
    window: float = 60.0,
) -> None:
    """Run the worker loop ``run_once`` until a stop is asked (``stop_requested()``).

    When the loop ends (or raises one of ``outage_errors``) with no stop asked: if its broker
    does not answer, wait for it (:func:`wait_for_broker`) and run the loop again; if it does,
    run it again at once, unless that happened ``max_restarts`` times within ``window``
    seconds: then raise :class:`~chariots_core.errors.WorkerPoolError`.
    """
    restarts: deque[float] = deque()
    while True:
        try:
            run_once()
        except outage_errors as error:
            if stop_requested():
                return
            logger.warning("%s went away (%s: %s)", what, type(error).__name__, error)
        if stop_requested():
            return
        if not _answers(answers):
            if not wait_for_broker(answers, stop_requested, what):
                return
            continue
        now = time.monotonic()
        restarts.append(now)
        while restarts and restarts[0] < now - window:
            restarts.popleft()
        if len(restarts) > max_restarts:
            raise WorkerPoolError(
                f"the worker on {what} ended {len(restarts)} times within {window:g}s while "
                "its broker answered: giving up"
            )
        logger.warning("the worker on %s ended with no stop asked: starting it again", what)


def _answers(answers: Callable[[], bool]) -> bool:
    try:
        return bool(answers())
    except Exception:
        return False
