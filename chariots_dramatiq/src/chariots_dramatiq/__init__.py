"""chariots-dramatiq: the Dramatiq worker pool of chariots
(``DramatiqWorkerPool(broker=RedisBroker())``, or ``get_worker_pool("dramatiq+redis://…")``;
workers: ``chariots worker --pool dramatiq+…``, ``pool.start_workers()``, a team's own
``dramatiq`` command, or :class:`chariots_dramatiq.testing.DramatiqWorkerContext`)."""

from importlib.metadata import PackageNotFoundError, version

from chariots_dramatiq.pool import DramatiqWorkerPool
from chariots_dramatiq.urls import DEFAULT_QUEUE

try:
    __version__ = version("chariots-dramatiq")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["DEFAULT_QUEUE", "DramatiqWorkerPool", "__version__"]
