"""What a pool's ``submit`` answered, checked before the core records it as the job's native
status: the backend's name for the job's state (a ``str``) or ``None``, and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chariots_core.errors import WorkerPoolError

if TYPE_CHECKING:
    from chariots_core.workers._base_pool import BaseWorkerPool

__all__ = ["submitted_status"]


def submitted_status(pool: BaseWorkerPool, answer: object) -> str | None:
    """``answer`` (what ``pool.submit`` returned) when it is a ``str`` or ``None``; otherwise
    :class:`~chariots_core.errors.WorkerPoolError`, naming the pool and what it returned."""
    if answer is None or isinstance(answer, str):
        return answer
    kind = type(pool)
    raise WorkerPoolError(
        f"{kind.__module__}.{kind.__qualname__}.submit() returned {answer!r:.100} (type "
        f"{type(answer).__name__}): a pool's submit must return the backend's name for the "
        "job's state (a str) or None"
    )
