"""The ``celery`` entry point of the ``chariots`` group: offers :class:`CeleryWorkerPool`."""

from __future__ import annotations

from collections.abc import Callable

from chariots_core.workers import BaseWorkerPool, hookimpl


@hookimpl
def chariots_register_worker_pools(register: Callable[[type[BaseWorkerPool]], None]) -> None:
    from chariots_celery.pool import CeleryWorkerPool

    register(CeleryWorkerPool)
