"""chariots-celery: the Celery worker pool of chariots (``CeleryWorkerPool("redis://…")``,
``CeleryWorkerPool(celery_app=app)``, or ``get_worker_pool("celery+amqp://…")``; workers:
``chariots worker --pool celery+…``, ``celery -A proj:celery_app worker``, ``pool.start_workers()``
or :class:`chariots_celery.testing.CeleryWorkerContext`)."""

from importlib.metadata import PackageNotFoundError, version

from chariots_celery.pool import DEFAULT_PRIORITIES, DEFAULT_QUEUE, CeleryWorkerPool
from chariots_celery.task import TASK_NAME

try:
    __version__ = version("chariots-celery")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["DEFAULT_PRIORITIES", "DEFAULT_QUEUE", "TASK_NAME", "CeleryWorkerPool", "__version__"]
