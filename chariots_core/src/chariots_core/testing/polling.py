"""Waiting without sleeping blindly: poll a condition until it holds, or fail at a deadline.

:func:`eventually` is what a test uses instead of ``time.sleep``: it returns as soon as the
condition holds, and its failure says what did not happen::

    from chariots_core.testing.polling import DEADLINE, eventually

    eventually(lambda: pool.n_workers == 2, what="two workers listening")
    job = app.wait_for_job(job_id, DEADLINE)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["DEADLINE", "POLL_INTERVAL", "eventually"]

T = TypeVar("T")

#: the longest a pool's test waits for a job to be picked up and run, or a worker to listen
DEADLINE = 60.0
#: how long :func:`eventually` waits between two looks
POLL_INTERVAL = 0.01


def eventually(
    check: Callable[[], T],
    timeout: float = DEADLINE,
    what: str = "condition",
    *,
    interval: float = POLL_INTERVAL,
) -> T:
    """Call ``check`` until it returns something true, and return that.

    After ``timeout`` seconds the test fails (an :class:`AssertionError`) with ``"<what> did not
    hold within <timeout>s"``: name ``what`` after the behaviour awaited.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not hold within {timeout:g}s")
        time.sleep(interval)
