"""`BaseWorkerPool`: what a backend implements to run chariots jobs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from chariots_core.errors import WorkerPoolError
from chariots_core.workers._capabilities import Capability

if TYPE_CHECKING:
    from chariots_core.jobs import JobMessage
    from chariots_core.workers._context import PoolContext


class BaseWorkerPool(ABC):
    """A queue of jobs and the workers that run them, on one backend.

    A pool only carries messages: each worker hands every message it receives to
    :func:`chariots_core.workers.run_job`, which claims the job, runs the pipeline, and records
    status, progress, result, error and provenance in the job store. So a pool is a short
    adapter: ``submit`` a JSON message, ``cancel`` natively where it can, run workers, count them.

    ``backend`` is the entry-point name the pool registers under (group ``chariots``);
    ``capabilities`` lists what it honours beyond running jobs (see :class:`Capability`).
    The public members are exactly the table of ``docs/write-your-own-worker-pool.md`` (a test
    holds the two together): none takes or returns a database object or the server.
    """

    backend: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: where what a pool honours depends on its broker (``celery+redis`` vs ``celery+amqp``):
    #: the capabilities of each transport, listed by ``chariots plugins`` (an instance declares
    #: its own in ``capabilities``)
    capabilities_by_transport: ClassVar[Mapping[str, frozenset[Capability]]] = {}

    @classmethod
    def from_url(cls, url: str) -> BaseWorkerPool:
        """Build the pool from a URL such as ``rq://localhost:6379/0``."""
        raise WorkerPoolError(f"{cls.__name__} cannot be built from a URL ({url!r})")

    def attach(self, context: PoolContext) -> None:  # noqa: B027 - optional hook
        """Called when an app adopts this pool (its server, or ``chariots worker --app``), before
        the app uses it: ``context`` says the app's name and heartbeat timeout, and gives a
        worker roster in the app's database (:class:`~chariots_core.workers.PoolContext`)."""

    @abstractmethod
    def submit(self, message: JobMessage) -> str | None:
        """Put the job on the queue; return the backend's name for its state, if any."""

    def native_status_on_submit(self, message: JobMessage) -> str | None:
        """What the backend will call the job once :meth:`submit` queues it, when the pool
        knows it beforehand: recorded with the job's record, in its one write, so that a
        ``submit`` answering the same costs no second write (a different answer is recorded
        after it). ``None`` by default."""
        return None

    def cancel(self, job_id: str) -> bool:
        """Remove a queued job from the backend's queue; ``True`` if the backend did.

        The job store has already marked the job cancelled (or asked it to stop, if running),
        so a pool that cannot revoke natively may return ``False``: its worker will skip the job.
        """
        return False

    def holds_message(self, job_id: str) -> bool | None:
        """Whether the backend still holds a message of the job that a worker will take
        (waiting in a queue, scheduled, or held by a worker that died and will be redelivered);
        ``None`` when it cannot tell (the default).

        The core asks about a job queued long past its due time, and about a job whose worker
        died: a message the pool no longer holds is sent again (see
        :func:`chariots_core.workers.recover_jobs`). Answering ``None`` is safe: the core then
        sends a dead worker's job again anyway (a duplicate is dropped at its claim), and leaves
        a job no worker took to wait.
        """
        return None

    @property
    @abstractmethod
    def n_workers(self) -> int:
        """How many workers are alive and listening on this pool's queues."""

    @abstractmethod
    def start_workers(self, n: int = 1) -> None:
        """Start ``n`` workers in the background of this process's machine (tests, docs, the
        quickstart); they run the apps registered in this process."""

    @abstractmethod
    def stop_workers(self, timeout: float = 30.0) -> None:
        """Stop the workers :meth:`start_workers` started: each finishes (or hands back) the job
        in hand, within ``timeout`` seconds."""

    @abstractmethod
    def run_worker(self, concurrency: int = 1) -> None:
        """Run a worker in the foreground until interrupted (``chariots worker``); Ctrl-C stops
        it gracefully."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default holds none."""

    def describe(self) -> str:
        """A one-line description (backend and where it points), for logs and reports."""
        return f"{self.backend or type(self).__name__} pool"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"
