"""The chariots side of the benchmark: the app of :mod:`bench_app` on each pool, its workers
forked from the benchmark's process."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_app import build_app, redis_url

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import BaseWorkerPool


class ChariotsSystem:
    """The app on one pool: submit with ``submit_job``, wait with the job store's ``wait``."""

    def __init__(self, pool: BaseWorkerPool, home: Path) -> None:
        self.pool = pool
        self.app: PipelinesServer = build_app(home, pool)
        assert self.app.job_store is not None
        self.store = self.app.job_store
        self.app.worker_pool  # noqa: B018 - attaches the pool to the app

    @contextmanager
    def running(self) -> Iterator[None]:
        self.pool.start_workers(1)
        try:
            yield
        finally:
            self.pool.stop_workers(30)

    def submit(self, payload: Any) -> Any:
        return self.app.submit_job("work", payload).id

    def wait(self, handle: Any) -> None:
        job = self.store.wait(handle, 60)
        if job.status is not JobStatus.done:
            raise RuntimeError(f"chariots job {handle} ended {job.status.value}: {job.error}")


def rq_pool(fork: bool) -> BaseWorkerPool:
    from redis import Redis

    from chariots_rq import RQWorkerPool

    return RQWorkerPool(
        Redis.from_url(redis_url()), queue="bench_chariots_rq", worker_options={"fork": fork}
    )


def celery_pool() -> BaseWorkerPool:
    from chariots_celery import CeleryWorkerPool

    return CeleryWorkerPool.from_url(f"celery+{redis_url()}?queue=bench_chariots_celery")


def dramatiq_pool() -> BaseWorkerPool:
    from chariots_dramatiq import DramatiqWorkerPool

    return DramatiqWorkerPool.from_url(
        f"dramatiq+{redis_url()}?queue=bench_chariots_dramatiq&fork=false&threads=1"
    )


def embedded_pool(mode: str, autostart: int = 1) -> BaseWorkerPool:
    """The embedded pool; ``autostart=0``: no worker starts on the first submit (the per-job
    cost takes the messages itself)."""
    from chariots_core.workers.embedded import EmbeddedWorkerPool

    return EmbeddedWorkerPool(
        mode="process" if mode == "process" else "thread", autostart=autostart
    )


def new_home() -> Path:
    return Path(tempfile.mkdtemp(prefix="chariots-bench-"))
