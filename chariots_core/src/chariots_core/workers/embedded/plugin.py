"""The embedded backend's plugin (entry point ``embedded`` of the group ``chariots``)."""

from __future__ import annotations

from collections.abc import Callable

from chariots_core.workers._base_pool import BaseWorkerPool
from chariots_core.workers.embedded import EmbeddedWorkerPool
from chariots_core.workers.hookspecs import hookimpl


@hookimpl
def chariots_register_worker_pools(register: Callable[[type[BaseWorkerPool]], None]) -> None:
    register(EmbeddedWorkerPool)
