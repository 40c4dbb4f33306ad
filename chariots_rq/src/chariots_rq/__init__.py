"""chariots-rq: the RQ worker pool of chariots (``RQWorkerPool(redis=Redis())``, or
``get_worker_pool("rq://localhost:6379/0")``; workers: ``chariots worker --pool rq://…``,
``pool.start_workers()`` or :class:`chariots_rq.testing.RQWorkerContext`)."""

from importlib.metadata import PackageNotFoundError, version

from chariots_rq.pool import (
    DEFAULT_PRIORITIES,
    DEFAULT_QUEUE,
    RQURLError,
    RQWorkerPool,
    WorkerOptions,
)

try:
    __version__ = version("chariots-rq")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["DEFAULT_PRIORITIES", "DEFAULT_QUEUE", "RQURLError", "RQWorkerPool", "WorkerOptions",
           "__version__"]  # fmt: skip
