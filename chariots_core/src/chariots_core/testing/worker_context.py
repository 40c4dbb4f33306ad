"""`WorkerContext`: real workers of an app's pool for the duration of a ``with`` block."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from chariots_core.errors import WorkerPoolError
from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import BaseWorkerPool, get_worker_pool
from chariots_core.workers._apps import registered_apps
from chariots_core.workers._resolve import backend_of_url

__all__ = ["WorkerContext"]


class WorkerContext:
    """Workers started with ``pool.start_workers(n, **start_options)`` when the block starts,
    stopped when it ends (each finishes its job in hand within ``stop_timeout`` seconds).

    With no pool, inside the process that built the app, it starts ``n`` workers for each
    distinct pool of the ``backend`` (any backend when ``None``) among the apps built in this
    process (pools that describe themselves alike share workers); or give the pool (an instance,
    a backend name or a URL) yourself. Pools that are named by an app but of another backend are
    neither built nor touched.

    >>> with WorkerContext(backend="rq"):  # doctest: +SKIP
    ...     response = client.call_pipeline(pipeline, 4, use_worker=True)
    """

    def __init__(
        self,
        pool: BaseWorkerPool | str | None = None,
        n: int = 1,
        *,
        backend: str | None = None,
        stop_timeout: float = 30.0,
        **start_options: Any,
    ) -> None:
        self.pool = pool
        self.n = n
        self.backend = backend
        self.stop_timeout = stop_timeout
        self.start_options = start_options
        self.pools: list[BaseWorkerPool] = []

    def __enter__(self) -> WorkerContext:
        try:
            for pool in self._pools():
                pool.start_workers(self.n, **self.start_options)
                self.pools.append(pool)
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    @property
    def n_workers(self) -> int:
        """The workers alive on the pools this context started workers for."""
        return sum(pool.n_workers for pool in self.pools)

    def _stop(self) -> None:
        pools, self.pools = self.pools, []
        for pool in pools:
            pool.stop_workers(self.stop_timeout)

    def _pools(self) -> list[BaseWorkerPool]:
        if self.pool is not None:
            given = get_worker_pool(self.pool)
            if self.backend is not None and given.backend != self.backend:
                raise TypeError(f"{type(self).__name__} needs a {self.backend} pool, not {given!r}")
            return [given]
        found: dict[str, BaseWorkerPool] = {}
        for app in registered_apps():
            pool = self._pool_of(app) if isinstance(app, PipelinesServer) else None
            if pool is not None:
                found.setdefault(pool.describe(), pool)
        if not found:
            raise WorkerPoolError(
                f"{type(self).__name__} found no app with a worker pool of backend "
                f"{self.backend or 'any'!r} in this process: build the app first, or pass the pool"
            )
        return list(found.values())

    def _pool_of(self, app: PipelinesServer) -> BaseWorkerPool | None:
        """The app's pool if it is of the backend; other backends' pools are not built."""
        spec = app.worker_pool_spec
        if self.backend is not None:
            if isinstance(spec, str):
                name = spec.strip()
                if name != self.backend and backend_of_url(name) != self.backend:
                    return None
            elif isinstance(spec, type):
                if getattr(spec, "backend", None) != self.backend:
                    return None
            elif spec is None or spec.backend != self.backend:
                return None
        return app.worker_pool if app.has_worker_pool else None
