"""Helpers for tests and docs that need Celery workers: :class:`CeleryWorkerContext`."""

from __future__ import annotations

from chariots_celery.pool import CeleryWorkerPool
from chariots_core.testing.worker_context import WorkerContext


class CeleryWorkerContext(WorkerContext):
    """Real Celery workers for a ``with`` block, forked from this process: one running ``n``
    jobs at once for each Celery pool of the apps built here, or for the pool (or URL) given;
    stopped at the end (the jobs in hand finish within ``stop_timeout`` seconds)."""

    def __init__(
        self, pool: CeleryWorkerPool | str | None = None, n: int = 1, *,
        stop_timeout: float = 30.0, logging_level: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(
            pool, n, backend="celery", stop_timeout=stop_timeout, logging_level=logging_level
        )
