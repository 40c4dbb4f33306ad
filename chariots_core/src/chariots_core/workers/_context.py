"""`PoolContext`: what a pool learns of the app that adopts it, at ``attach``."""

from __future__ import annotations

from typing import TypeVar, overload

from chariots_core.errors import WorkerPoolError
from chariots_core.jobs import DEFAULT_HEARTBEAT_TIMEOUT, JobStore
from chariots_core.workers.kit.roster import WorkerRoster

__all__ = ["PoolContext"]

R = TypeVar("R", bound=WorkerRoster)


class PoolContext:
    """What an app tells the pool it adopts (:meth:`BaseWorkerPool.attach
    <chariots_core.workers.BaseWorkerPool.attach>`): its name, how long a silent worker may be
    taken for alive, and a worker roster of its own for pools whose brokers cannot list their
    workers (:meth:`roster`).

    The server makes one when it adopts its pool (on first use, or at once when given a pool
    object), and so does ``chariots worker --app`` before it runs the pool's workers. A pool used
    without an app (built and started by hand) is never attached: one that needs its context
    says so when it is used.

    ``job_store`` is the app's job store (the server's ``PipelinesServer.pool_context()`` passes
    its own), where the roster is kept and whose ``heartbeat_timeout`` is the app's;
    ``heartbeat_timeout`` stands for an app without one. A pool reads only the members below:
    the job store is the core's business (the embedded pool, whose queue is in its database).
    """

    def __init__(
        self,
        app_name: str,
        *,
        heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
        job_store: JobStore | None = None,
    ) -> None:
        #: the app's name, which its jobs' messages carry
        self.app_name = app_name
        #: seconds after which a worker that has not beaten is dead (the app's job store's);
        #: a broker that hands a dead worker's message back should wait at least this long
        self.heartbeat_timeout = (
            job_store.heartbeat_timeout if job_store is not None else heartbeat_timeout
        )
        self._job_store = job_store

    @property
    def has_roster(self) -> bool:
        """Whether :meth:`roster` can give a roster (the app keeps a job store)."""
        return self._job_store is not None

    @overload
    def roster(self, queue: str) -> WorkerRoster: ...

    @overload
    def roster(self, queue: str, kind: type[R]) -> R: ...

    def roster(self, queue: str, kind: type[WorkerRoster] = WorkerRoster) -> WorkerRoster:
        """A :class:`~chariots_core.workers.kit.WorkerRoster` of ``kind`` for the workers of
        ``queue`` (name it after the backend and its queue: ``"dramatiq:default"``), kept in
        the app's database with the app's heartbeat timeout."""
        if self._job_store is None:
            raise WorkerPoolError(
                f"app {self.app_name!r} has no job store: it can keep no worker roster"
            )
        return kind(
            self._job_store.database, queue, heartbeat_timeout=self._job_store.heartbeat_timeout
        )

    def __repr__(self) -> str:
        return f"<PoolContext of app {self.app_name!r}>"


def job_store_of(context: PoolContext) -> JobStore | None:
    """The app's job store, for the embedded pool alone (its queue lives in that database, and
    queues a new job in the transaction that records it): not part of the pool contract."""
    return context._job_store
