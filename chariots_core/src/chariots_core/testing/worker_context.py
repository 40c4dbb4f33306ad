"""`WorkerContext`: real workers of an app's pool for the duration of a ``with`` block."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import BaseWorkerPool, get_worker_pool
from chariots_core.workers._apps import add_app_listener, registered_apps, remove_app_listener
from chariots_core.workers._resolve import backend_of_url

__all__ = ["WorkerContext"]


class WorkerContext:
    """Workers started with ``pool.start_workers(n, **start_options)`` for the duration of a
    ``with`` block, stopped when it ends (each finishes its job in hand within ``stop_timeout``
    seconds).

    With no pool, it starts ``n`` workers for each distinct pool of the ``backend`` (any backend
    when ``None``) among the apps of this process: those built before the block starts, and
    those built inside it, so that both orders work::

        with RQWorkerContext():  # the original chariots' order: the app is built in the block
            app = PipelinesServer(pipelines, op_store_client=store, import_name="app",
                                  worker_pool=RQWorkerPool(redis=Redis()))
            ...

    Workers run the apps this process had when they were forked: an app built in the block
    with a pool whose workers already run restarts them (before the app can submit a job), so
    they know it. Or give the pool (an instance, a backend name or a URL) yourself: only it gets
    workers. Pools that are named by an app but of another backend are neither built nor
    touched; apps with no pool configured get none.

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
        self._pid: int | None = None

    def __enter__(self) -> WorkerContext:
        self._pid = os.getpid()
        try:
            if self.pool is not None:
                self._start(self._given_pool())
            else:
                for pool in self._pools():
                    self._start(pool)
                add_app_listener(self._app_registered)
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

    def _start(self, pool: BaseWorkerPool) -> None:
        """Start workers on ``pool``; first stop those of a pool alike started before."""
        description = pool.describe()
        for running in [running for running in self.pools if running.describe() == description]:
            self.pools.remove(running)
            running.stop_workers(self.stop_timeout)
        pool.start_workers(self.n, **self.start_options)
        self.pools.append(pool)

    def _stop(self) -> None:
        remove_app_listener(self._app_registered)
        pools, self.pools = self.pools, []
        for pool in pools:
            pool.stop_workers(self.stop_timeout)

    def _app_registered(self, app: object) -> None:
        """An app was built in the block: (re)start workers on its pool, so that they know it
        (a worker process runs the apps registered when it was forked)."""
        if os.getpid() != self._pid or not isinstance(app, PipelinesServer):
            return  # a worker forked from this process registering an app: none of ours
        if self._matches(app.worker_pool_spec):
            # the app is built but for adopting its pool: reading it makes the app adopt it now
            # (adopting again is harmless), so that it starts with the app's store in hand
            self._start(app.worker_pool)

    def _given_pool(self) -> BaseWorkerPool:
        assert self.pool is not None
        given = get_worker_pool(self.pool)
        if self.backend is not None and given.backend != self.backend:
            raise TypeError(f"{type(self).__name__} needs a {self.backend} pool, not {given!r}")
        return given

    def _pools(self) -> list[BaseWorkerPool]:
        """The pools of the backend among the apps already built (none is fine: apps built in
        the block get theirs when they register)."""
        found: dict[str, BaseWorkerPool] = {}
        for app in registered_apps():
            pool = self._pool_of(app) if isinstance(app, PipelinesServer) else None
            if pool is not None:
                found.setdefault(pool.describe(), pool)
        return list(found.values())

    def _pool_of(self, app: PipelinesServer) -> BaseWorkerPool | None:
        """The app's pool if it is of the backend; other backends' pools are not built."""
        if not self._matches(app.worker_pool_spec):
            return None
        return app.worker_pool

    def _matches(self, spec: BaseWorkerPool | str | type[BaseWorkerPool] | None) -> bool:
        """Whether a pool configured so is of the backend (``None``, no pool, never is)."""
        if spec is None:
            return False
        if self.backend is None:
            return True
        if isinstance(spec, str):
            name = spec.strip()
            return name == self.backend or backend_of_url(name) == self.backend
        if isinstance(spec, type):
            return bool(getattr(spec, "backend", None) == self.backend)
        return bool(spec.backend == self.backend)
