"""The embedded worker pool: no broker, the chariots database is the queue.

Workers run in threads of this process, in forked processes, or in ``chariots worker``
processes of the same machine (or of any machine sharing one PostgreSQL database).
"""

from chariots_core.workers.embedded._pool import (
    PROCESS_CAPABILITIES,
    THREAD_CAPABILITIES,
    EmbeddedWorkerPool,
)

__all__ = ["PROCESS_CAPABILITIES", "THREAD_CAPABILITIES", "EmbeddedWorkerPool"]
