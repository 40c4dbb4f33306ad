"""`EmbeddedWorkerPool`: workers in this machine, and the database as their queue (no broker)."""

from __future__ import annotations

import functools
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

from sqlalchemy import Connection

from chariots_core.database import Database
from chariots_core.errors import WorkerPoolError
from chariots_core.jobs import DEFAULT_HEARTBEAT_TIMEOUT, JobMessage
from chariots_core.workers._base_pool import BaseWorkerPool
from chariots_core.workers._capabilities import Capability
from chariots_core.workers._context import PoolContext, job_store_of
from chariots_core.workers._runtime import run_job
from chariots_core.workers.embedded._queue import MessageQueue
from chariots_core.workers.embedded._url import parse_embedded_url
from chariots_core.workers.embedded._worker import WorkerGroup, serve_in_process
from chariots_core.workers.kit.forking import fork_context
from chariots_core.workers.kit.processes import WorkerProcesses
from chariots_core.workers.kit.roster import WorkerRoster

logger = logging.getLogger(__name__)

Mode = Literal["thread", "process"]

#: workers an embedded pool left to choose (``autostart=None``) starts on its first submit, when
#: no worker listens on its queue: what makes a server's calls run with nothing else to start
DEFAULT_AUTOSTART = 2

#: what the pool honours in both modes
THREAD_CAPABILITIES = frozenset(
    {
        Capability.cancel_queued,
        Capability.interrupt_running,
        Capability.retries,
        Capability.delay,
        Capability.priority,
        Capability.redelivery,
    }
)
#: process mode runs each job in a work horse it can kill: timeouts hold inside a node too
PROCESS_CAPABILITIES = THREAD_CAPABILITIES | {Capability.timeouts}


class EmbeddedWorkerPool(BaseWorkerPool):
    """A worker pool whose queue is a table of the chariots database: nothing else to run.

    Messages wait in ``chariots_embedded_queue`` (one row each, with its priority and the time it
    becomes available); workers take them with a conditional update, so that any number of
    workers — threads, processes, or machines sharing one PostgreSQL — run each message once.
    A message held by a worker that stopped beating (it died) is taken again by another.

    ``database`` is a :class:`~chariots_core.database.Database` or a URL; by default it is the
    job store's database of the app the pool is attached to. ``queue`` names the queue (workers
    run the messages of theirs only). ``mode="thread"`` runs jobs in the workers' threads;
    ``mode="process"`` forks a work horse for each job and kills it at the job's ``timeout``
    (so ``timeouts`` is among the capabilities of that mode only), and starts workers as forked
    processes.

    ``autostart`` says whether the pool starts workers itself, in this process, on its first
    submit: left ``None`` (the default, whether the pool is named ``"embedded"``, given as
    ``embedded://`` or is a server's default), it starts :data:`DEFAULT_AUTOSTART` when no worker
    listens on its queue then; ``0`` never does (workers run elsewhere: ``chariots worker``);
    ``n`` starts ``n``. A pool whose workers were started by hand (:meth:`start_workers`,
    :meth:`run_worker`) starts none.

    Built from a URL by :meth:`from_url`: ``embedded://``, ``embedded:///abs/path.db``,
    ``embedded+postgresql://user@host/db``, with ``?queue=…&mode=process&poll_interval=…`` and
    ``&autostart=0`` where the workers are ``chariots worker`` processes.
    """

    backend: ClassVar[str] = "embedded"
    capabilities: ClassVar[frozenset[Capability]] = THREAD_CAPABILITIES
    #: whether a job submitted by the app the pool is attached to is queued in the transaction
    #: that records it (when the queue is in the job store's database): one write, not two. A
    #: subclass that changes how messages are queued (its own ``submit`` or ``message_queue``)
    #: sets it ``False``, so that every message goes through its own way.
    queues_with_record: ClassVar[bool] = True

    def __init__(
        self,
        database: Database | str | None = None,
        queue: str = "default",
        *,
        mode: Mode = "thread",
        poll_interval: float = 0.05,
        autostart: int | None = None,
    ) -> None:
        if mode not in ("thread", "process"):
            raise ValueError(f"mode must be 'thread' or 'process', not {mode!r}")
        if mode == "process":
            fork_context()  # refuses, here and now, a platform that cannot fork
        if not queue:
            raise ValueError("the queue needs a name")
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be > 0, not {poll_interval!r}")
        if autostart is not None and autostart < 0:
            raise ValueError(f"autostart must be >= 0, not {autostart!r}")
        self._owns_database = isinstance(database, str)
        self._database = Database(database) if isinstance(database, str) else database
        self.queue = queue
        self.mode: Mode = mode
        self.poll_interval = poll_interval
        #: workers started on the first submit (``None``: DEFAULT_AUTOSTART if none listens)
        self.autostart = autostart
        #: the job store's: silent workers are dead after this many seconds (set by attach)
        self.heartbeat_timeout = DEFAULT_HEARTBEAT_TIMEOUT
        # an instance's capabilities depend on its mode
        vars(self)["capabilities"] = (
            PROCESS_CAPABILITIES if mode == "process" else THREAD_CAPABILITIES
        )
        self._lock = threading.Lock()
        self._groups: list[WorkerGroup] = []
        self._processes: list[WorkerProcesses] = []
        self._autostarted = False
        # the job whose message this thread just queued with its record (submit puts no other)
        self._queued = threading.local()

    @classmethod
    def from_url(cls, url: str) -> EmbeddedWorkerPool:
        parsed = parse_embedded_url(url)
        options: dict[str, Any] = parsed.options
        return cls(parsed.database, **options)

    # -- where the queue is --------------------------------------------------------------------

    def attach(self, context: PoolContext) -> None:
        """Use the app's job store: its database (unless the pool was given one), its heartbeat
        timeout (after which a silent worker is taken for dead), and its transaction that
        records a new job, to queue the job in it (:attr:`queues_with_record`)."""
        store = job_store_of(context)
        if store is None:
            return
        with self._lock:
            self.heartbeat_timeout = store.heartbeat_timeout
            if self._database is None:
                self._database = store.database
            same_database = self._database is store.database
        if self.queues_with_record and same_database:
            store.write_with_records(self, self._queue_with_record)

    @property
    def database(self) -> Database:
        if self._database is None:
            raise WorkerPoolError(
                "the embedded pool has no database: give it one, or attach it to an app (a "
                "PipelinesServer attaches its pool on first use, or when `app.worker_pool` is read)"
            )
        return self._database

    @property
    def message_queue(self) -> MessageQueue:
        return MessageQueue(self.database, self.queue)

    @property
    def roster(self) -> WorkerRoster:
        return WorkerRoster(self.database, self.queue, heartbeat_timeout=self.heartbeat_timeout)

    # -- jobs ----------------------------------------------------------------------------------

    def submit(self, message: JobMessage) -> str | None:
        if getattr(self._queued, "job_id", None) == message.job_id:
            self._queued.job_id = None  # its row was written with its record: wake the workers
            self.message_queue.wake()
        else:
            self.message_queue.put(message)
        self._autostart()
        return None

    def _queue_with_record(self, connection: Connection, message: JobMessage) -> None:
        """Write the job's row in the queue, in the transaction that records the job."""
        self.message_queue.put_within(connection, message)
        self._queued.job_id = message.job_id

    def _autostart(self) -> None:
        with self._lock:
            decided, self._autostarted = self._autostarted, True
        if decided or self.autostart == 0:
            return None
        if self.autostart is not None:
            self._start(self.autostart)
        elif self.roster.count_alive() == 0:  # nobody listens: run the jobs here, as a default
            logger.info(
                "no worker listens on embedded queue %r: starting %d worker %ss in this process "
                "(autostart=0 leaves the jobs to `chariots worker`)",
                self.queue,
                DEFAULT_AUTOSTART,
                self.mode,
            )
            self._start(DEFAULT_AUTOSTART)
        return None

    def holds_message(self, job_id: str) -> bool:
        """Whether the queue holds a message of the job: waiting, or taken by a worker (a dead
        worker's message is taken again once its heartbeat is stale)."""
        return self.message_queue.holds(job_id)

    def cancel(self, job_id: str) -> bool:
        return self.message_queue.remove_untaken(job_id)

    # -- workers -------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        return self.roster.count_alive()

    def start_workers(self, n: int = 1) -> None:
        """Start ``n`` workers: threads of this process, or forked worker processes in process
        mode (each running its jobs in work horses). Returns once they listen."""
        if n < 1:
            raise ValueError(f"start at least one worker, not {n}")
        with self._lock:
            self._autostarted = True  # workers started by hand: none to start on a submit
        self._start(n)

    def _start(self, n: int) -> None:
        if self.mode == "thread":
            group = self._threads(n)
            group.start()
            with self._lock:
                self._groups.append(group)
            return
        processes = self._processes_of(n)
        processes.start()
        with self._lock:
            self._processes.append(processes)

    def stop_workers(self, timeout: float = 30.0) -> None:
        """Stop the workers :meth:`start_workers` started, each once its job in hand is done;
        processes still running at ``timeout`` are killed (threads are left to finish)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            groups, self._groups = self._groups, []
            processes, self._processes = self._processes, []
        for group in groups:
            group.stop()
        for worker_processes in processes:
            worker_processes.ask_to_stop()
        for worker_processes in processes:
            worker_processes.stop(max(0.0, deadline - time.monotonic()))
        for group in groups:
            if not group.wait(max(0.0, deadline - time.monotonic())):
                logger.warning(
                    "embedded workers %s still run their jobs after %gs; left to finish",
                    group.worker_ids,
                    timeout,
                )

    def run_worker(self, concurrency: int = 1) -> None:
        """Run ``concurrency`` workers in the foreground until Ctrl-C or SIGTERM, which stop them
        once their jobs in hand are done (Ctrl-C again abandons those). In process mode they
        are supervised worker processes: one that dies is replaced (and logged), and
        :class:`~chariots_core.workers.kit.WorkerProcessesFailed` is raised when replacements
        keep failing."""
        with self._lock:
            self._autostarted = True
        if self.mode == "process":
            processes = self._processes_of(concurrency)
            with _sigterm_calls(processes.ask_to_stop):
                processes.run()
            return
        workers = self._threads(concurrency)
        workers.start()
        with _sigterm_calls(workers.stop):
            try:
                workers.wait()
            except KeyboardInterrupt:
                logger.warning("stopping once the jobs in hand are done (Ctrl-C abandons them)")
                workers.stop()
                workers.wait()

    def _threads(self, count: int) -> WorkerGroup:
        return WorkerGroup(
            self.message_queue, self.roster, run_job, self.poll_interval, count, self._label
        )

    def _processes_of(self, count: int) -> WorkerProcesses:
        target = functools.partial(
            serve_in_process, self.message_queue, self.roster, self.poll_interval, self._label
        )
        return WorkerProcesses(target, count, name=f"chariots-{self._label.rstrip('-')}")

    @property
    def _label(self) -> str:
        return f"embedded-{self.queue}-"

    # -- upkeep --------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the background workers, and close the database if the pool opened it."""
        self.stop_workers()
        if self._owns_database and self._database is not None:
            self._database.dispose()

    def describe(self) -> str:
        where = "the app's database" if self._database is None else repr(self._database)
        return f"embedded pool, queue {self.queue!r} on {where}, {self.mode} mode"


@contextmanager
def _sigterm_calls(stop: Callable[[], None]) -> Iterator[None]:
    """SIGTERM calls ``stop``, unless someone else handles it (``chariots worker`` turns it into
    Ctrl-C) or this is not the main thread (which alone may handle signals)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
