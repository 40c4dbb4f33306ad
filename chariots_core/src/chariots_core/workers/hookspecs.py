"""The hooks a chariots plugin may implement (pluggy).

A distribution offers worker pools by implementing ``chariots_register_worker_pools`` in a module
named by an entry point of the group ``chariots``, the entry point's name being the backend's::

    [project.entry-points.chariots]
    rq = "chariots_rq.plugin"

Observers (metrics, logging, tracing) implement the lifecycle hooks and are registered with
:func:`chariots_core.workers.register_observer` (or through an entry point the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from chariots_core.jobs import Job
    from chariots_core.workers._base_pool import BaseWorkerPool

PROJECT_NAME = "chariots"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def chariots_register_worker_pools(register: Callable[[type[BaseWorkerPool]], None]) -> None:
    """Call ``register(PoolClass)`` for each worker pool the plugin offers."""


@hookspec
def chariots_job_submitted(job: Job) -> None:
    """A job was recorded and handed to its pool (called in the submitting process)."""


@hookspec
def chariots_job_started(job: Job) -> None:
    """A worker claimed the job and is about to run it (called in the worker)."""


@hookspec
def chariots_job_finished(job: Job) -> None:
    """A run of the job ended: done, failed, cancelled, or failed to be retried (in the worker)."""
