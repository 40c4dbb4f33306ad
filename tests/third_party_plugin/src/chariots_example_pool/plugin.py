"""The chariots plugin of the ``filequeue`` backend (entry point group ``chariots``)."""

from __future__ import annotations

from collections.abc import Callable

from chariots_core.workers import BaseWorkerPool, hookimpl
from chariots_example_pool.pool import FileQueueWorkerPool


@hookimpl
def chariots_register_worker_pools(register: Callable[[type[BaseWorkerPool]], None]) -> None:
    register(FileQueueWorkerPool)
