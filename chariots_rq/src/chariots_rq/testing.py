"""Helpers for tests and docs that need RQ workers: :class:`RQWorkerContext` (and, for
convenience, the core's test Redis: :class:`RedisServer`, :func:`redis_server_binary`)."""

from __future__ import annotations

from typing import Any

from chariots_core.testing.services import RedisServer, free_port, redis_server_binary
from chariots_core.testing.worker_context import WorkerContext
from chariots_rq.pool import RQWorkerPool, WorkerOptions

__all__ = ["RQWorkerContext", "RedisServer", "free_port", "redis_server_binary"]


class RQWorkerContext(WorkerContext):
    """Real RQ workers for the duration of a ``with`` block, forked from this process: ``n``
    (default 1) for each distinct RQ pool of the apps built in this process, or for the pool
    given (an :class:`RQWorkerPool` or an ``rq://`` URL). Leaving the block stops them: each
    finishes the job in hand within ``stop_timeout`` seconds (else it is killed and its job ends
    ``lost``).

    >>> with RQWorkerContext():  # doctest: +SKIP
    ...     response = client.call_pipeline(pipeline, 4, use_worker=True)
    """

    def __init__(
        self,
        pool: RQWorkerPool | str | None = None,
        n: int = 1,
        *,
        stop_timeout: float = 30.0,
        worker_options: WorkerOptions | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            pool, n, backend="rq", stop_timeout=stop_timeout, worker_options=worker_options
        )
