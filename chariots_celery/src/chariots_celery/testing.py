"""Helpers for tests and docs that need Celery workers: :class:`CeleryWorkerContext`."""

from __future__ import annotations

from chariots_celery.pool import CeleryWorkerPool
from chariots_core.testing.worker_context import WorkerContext


class CeleryWorkerContext(WorkerContext):
    """Real Celery workers for the duration of a ``with`` block, forked from this process: one,
    running ``n`` jobs at once (default 1), for each distinct Celery pool of the apps built in
    this process, or for the pool given (a :class:`CeleryWorkerPool` or a ``celery+…`` URL).
    Leaving the block stops them: they finish their jobs in hand within ``stop_timeout`` seconds
    (else they are killed and their jobs end ``lost``)."""

    def __init__(
        self,
        pool: CeleryWorkerPool | str | None = None,
        n: int = 1,
        *,
        stop_timeout: float = 30.0,
        logging_level: str | None = None,
    ) -> None:
        super().__init__(
            pool, n, backend="celery", stop_timeout=stop_timeout, logging_level=logging_level
        )
