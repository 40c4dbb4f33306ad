"""`WorkersConfig`: which worker pool runs the calls that go to workers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chariots_core.workers import (
    BaseWorkerPool,
    default_worker_pool,
    get_worker_pool,
    load_backend,
)


class WorkersConfig:
    """The workers part of a :class:`~chariots_core.config.ChariotsConfig`.

    ``worker_type`` names the pool as :func:`chariots_core.workers.get_worker_pool` reads it:
    an installed backend's name (``"embedded"``, ``"rq"``, ``"RQ"`` as the original spelled it),
    a pool URL (``"rq://localhost:6379/0"``) or ``"package.module:Class"``; ``None`` is the
    default pool (``$CHARIOTS_WORKER_POOL``, else the embedded pool). ``worker_pool_kwargs``
    build a pool named by a backend or a class. A backend that is not installed is refused
    here, with the list of installed ones. ``use_for_all`` runs every call in a worker (the
    server's ``use_workers``).
    """

    def __init__(
        self,
        use_for_all: bool = False,
        worker_type: str | None = None,
        worker_pool_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self.use_for_all = use_for_all
        self.worker_type = _check_worker_type(worker_type)
        self.worker_pool_kwargs: dict[str, Any] = dict(worker_pool_kwargs or {})
        if self.worker_pool_kwargs and (self.worker_type is None or "://" in self.worker_type):
            raise ValueError(
                "worker_pool_kwargs go with a backend name or a class; a URL carries its own "
                "options, and no worker_type means the default pool"
            )

    @property
    def worker_pool_spec(self) -> str | BaseWorkerPool | None:
        """What a server is given as its ``worker_pool``: the name or URL (the server builds the
        pool when a job needs it), or the pool built with ``worker_pool_kwargs``."""
        if self.worker_pool_kwargs:
            return self.get_worker_pool()
        return self.worker_type

    def get_worker_pool(self) -> BaseWorkerPool:
        """The worker pool this configuration names, built."""
        if self.worker_type is None:
            return default_worker_pool()
        return get_worker_pool(self.worker_type, **self.worker_pool_kwargs)


def _check_worker_type(worker_type: str | None) -> str | None:
    """The worker type, its backend checked as installed (a plain name in lower case)."""
    if worker_type is None:
        return None
    if not isinstance(worker_type, str) or not worker_type.strip():
        raise TypeError(f"worker_type must be a backend name or a pool URL, not {worker_type!r}")
    worker_type = worker_type.strip()
    if "://" in worker_type:
        load_backend(worker_type.split("://", 1)[0].split("+", 1)[0].lower())
    elif ":" not in worker_type:  # a backend name ('package.module:Class' imports when used)
        worker_type = worker_type.lower()
        load_backend(worker_type)
    return worker_type
