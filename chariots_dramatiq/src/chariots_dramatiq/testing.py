"""Helpers for tests and docs that need Dramatiq workers: :class:`DramatiqWorkerContext`."""

from __future__ import annotations

from chariots_core.testing.worker_context import WorkerContext
from chariots_dramatiq.pool import DramatiqWorkerPool

__all__ = ["DramatiqWorkerContext"]


class DramatiqWorkerContext(WorkerContext):
    """Real Dramatiq workers for the duration of a ``with`` block, forked from this process:
    ``n`` (default 1) worker processes for each distinct Dramatiq pool of the apps built in this
    process, or for the pool given (a :class:`DramatiqWorkerPool` or a ``dramatiq+…`` URL).
    Leaving the block stops them: each finishes its jobs in hand within ``stop_timeout`` seconds
    (else it is killed and its jobs end ``lost``).

    >>> with DramatiqWorkerContext():  # doctest: +SKIP
    ...     response = client.call_pipeline(pipeline, 4, use_worker=True)
    """

    def __init__(
        self,
        pool: DramatiqWorkerPool | str | None = None,
        n: int = 1,
        *,
        stop_timeout: float = 30.0,
    ) -> None:
        super().__init__(pool, n, backend="dramatiq", stop_timeout=stop_timeout)
