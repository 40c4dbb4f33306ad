"""An example third-party chariots worker pool: a queue on a directory of files."""

from chariots_example_pool.pool import FileQueueWorkerPool

__all__ = ["FileQueueWorkerPool"]
