"""Workers: the pool contract, the plugins that offer pools, and choosing one.

Workers stand below the server: they see an app as a :class:`WorkerApp` (what
:func:`run_job` needs of it) and a pool learns of its app through a :class:`PoolContext`, so
that nothing here imports the server or Flask.

``RQWorkerPool``, ``CeleryWorkerPool``, ``DramatiqWorkerPool`` and ``EmbeddedWorkerPool`` are
found through their backends' entry points when first asked for; one whose distribution is not
installed raises :class:`BackendNotInstalled` (an ``ImportError``) saying what to install.
:class:`~chariots_core.jobs.JobStatus` lives in :mod:`chariots_core.jobs` and is exported here
too, where the original chariots had it.
"""

from chariots_core.jobs import JobStatus
from chariots_core.workers._apps import WorkerApp, get_app, load_app, register_app
from chariots_core.workers._base_pool import BaseWorkerPool
from chariots_core.workers._capabilities import PRIORITY_PROBES, Capability, honoured_priorities
from chariots_core.workers._context import PoolContext
from chariots_core.workers._outcome import MessageAction, RunOutcome
from chariots_core.workers._plugins import (
    EXPORTED_POOL_CLASSES,
    BackendInfo,
    BackendNotInstalled,
    PluginLoadError,
    available_backends,
    exported_pool_class,
    lifecycle_hooks,
    load_backend,
    register_observer,
    unregister_observer,
)
from chariots_core.workers._recovery import MAX_RESUBMITS, JobRecovery, Recovered, recover_jobs
from chariots_core.workers._resolve import default_worker_pool, get_worker_pool
from chariots_core.workers._runtime import (
    error_details,
    fail_run,
    new_worker_id,
    raise_in_job,
    run_job,
)
from chariots_core.workers.hookspecs import hookimpl

__all__ = [
    "MAX_RESUBMITS",
    "PRIORITY_PROBES",
    "BackendInfo",
    "BackendNotInstalled",
    "BaseWorkerPool",
    "Capability",
    "JobRecovery",
    "JobStatus",
    "MessageAction",
    "PluginLoadError",
    "PoolContext",
    "Recovered",
    "RunOutcome",
    "WorkerApp",
    "available_backends",
    "default_worker_pool",
    "error_details",
    "fail_run",
    "get_app",
    "get_worker_pool",
    "honoured_priorities",
    "hookimpl",
    "lifecycle_hooks",
    "load_app",
    "load_backend",
    "new_worker_id",
    "raise_in_job",
    "recover_jobs",
    "register_app",
    "register_observer",
    "run_job",
    "unregister_observer",
]


def __getattr__(name: str) -> type[BaseWorkerPool]:
    if name in EXPORTED_POOL_CLASSES:
        return exported_pool_class(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
