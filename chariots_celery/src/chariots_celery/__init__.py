"""chariots-celery: the Celery worker pool of chariots (``CeleryWorkerPool("redis://…")``,
``CeleryWorkerPool(celery_app=app)``, ``get_worker_pool("celery+amqp://…")``)."""

from importlib.metadata import PackageNotFoundError, version

from chariots_celery.pool import DEFAULT_PRIORITIES, DEFAULT_QUEUE, CeleryWorkerPool
from chariots_celery.task import TASK_NAME

try:
    __version__ = version("chariots-celery")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["DEFAULT_PRIORITIES", "DEFAULT_QUEUE", "TASK_NAME", "CeleryWorkerPool", "__version__"]
