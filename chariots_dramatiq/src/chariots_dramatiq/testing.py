"""Helpers for tests and docs that need Dramatiq workers: :class:`DramatiqWorkerContext`."""

from __future__ import annotations

from chariots_core.testing.worker_context import WorkerContext
from chariots_dramatiq.pool import DramatiqWorkerPool

__all__ = ["DramatiqWorkerContext"]


class DramatiqWorkerContext(WorkerContext):
    """Real Dramatiq worker processes, forked from this one, for a ``with`` block: ``n`` (default
    1) for each distinct Dramatiq pool of the apps built in this process, or for the pool given
    (a :class:`DramatiqWorkerPool` or a ``dramatiq+…`` URL). Leaving the block stops them, once
    their jobs in hand are done (after ``stop_timeout`` seconds they are killed: jobs ``lost``).
    """

    def __init__(
        self, pool: DramatiqWorkerPool | str | None = None, n: int = 1, *, stop_timeout: float = 30
    ) -> None:  # fmt: skip
        super().__init__(pool, n, backend="dramatiq", stop_timeout=stop_timeout)
