"""`DramatiqWorkerPool`: chariots jobs as Dramatiq messages, run by Dramatiq workers."""

from __future__ import annotations

import functools
import math
import os
from typing import TYPE_CHECKING, Any, ClassVar

import dramatiq
from dramatiq.broker import Broker
from dramatiq.encoder import JSONEncoder

from chariots_core.errors import WorkerPoolError
from chariots_core.jobs import JobMessage
from chariots_core.workers import BaseWorkerPool, Capability
from chariots_core.workers.kit import (
    BackgroundWorkers,
    PoolURLError,
    WorkerRoster,
    hide_password,
    run_in_foreground,
)
from chariots_dramatiq import brokers, urls
from chariots_dramatiq.worker import RosterMiddleware, perform, work

if TYPE_CHECKING:
    from chariots_core.pipelines import PipelinesServer

#: what the pool honours on any broker with its default ``fork=true``
_DEFAULT = brokers.COMMON | {Capability.timeouts}


class DramatiqWorkerPool(BaseWorkerPool):
    """A worker pool on Dramatiq: each job is a message to one actor, ``chariots_job:<queue>``,
    whose one argument is the job's JSON message; Dramatiq workers run it.

    Built on a broker the team has (``DramatiqWorkerPool(broker=RedisBroker(...))``; default:
    Dramatiq's global broker, ``dramatiq.get_broker()``) or from a URL (:meth:`from_url`).
    ``queue`` (default ``chariots``); ``fork`` (default true): each job runs in a forked work
    horse, killed at the job's timeout, and a worker process runs one job at a time; else jobs
    run in the worker's ``threads`` threads; ``worker_timeout``: seconds an idle worker waits
    before it polls the broker again (Dramatiq's, 1 s).

    What it honours depends on the broker (``capabilities``): Redis can take a queued message
    off its queue (``cancel_queued``); RabbitMQ orders messages by priority (a broker with
    ``max_priority``) and re-delivers the messages of a dead worker at once (``redelivery``).
    """

    backend: ClassVar[str] = urls.SCHEME
    capabilities: ClassVar[frozenset[Capability]] = _DEFAULT
    capabilities_by_transport: ClassVar[dict[str, frozenset[Capability]]] = {
        transport: _DEFAULT | extra for transport, extra in brokers.BY_TRANSPORT.items()
    }

    def __init__(
        self,
        broker: Broker | None = None,
        *,
        queue: str = urls.DEFAULT_QUEUE,
        fork: bool = True,
        threads: int = 1,
        worker_timeout: float = 1.0,
    ) -> None:
        if broker is not None and not isinstance(broker, Broker):
            raise TypeError(f"broker must be a dramatiq Broker, not {type(broker).__name__}")
        if not isinstance(dramatiq.get_encoder(), JSONEncoder):
            raise WorkerPoolError(
                f"chariots messages are JSON, but Dramatiq's encoder is "
                f"{type(dramatiq.get_encoder()).__name__} (dramatiq.set_encoder)"
            )
        check = {name: option.check for name, option in urls.POOL_OPTIONS.items()}
        self.broker: Broker = broker if broker is not None else dramatiq.get_broker()
        self.queue: str = check["queue"]("queue", queue)
        self.fork: bool = check["fork"]("fork", fork)
        self.threads: int = check["threads"]("threads", threads)
        self.worker_timeout: float = check["worker_timeout"]("worker_timeout", worker_timeout)
        if self.fork and self.threads > 1:
            raise PoolURLError(
                "fork=true runs one job at a time in each worker process (in its work horse): "
                "run more processes (--concurrency), or give fork=false for threads"
            )
        vars(self)["capabilities"] = brokers.capabilities(self.broker, self.fork)
        self.url: str | None = None
        self.roster: WorkerRoster | None = None
        self._owns_broker = False
        self._pid = os.getpid()
        self._background = BackgroundWorkers("chariots-dramatiq-worker")
        self.actor = self._declare_actor()
        self.roster_middleware = self._add_middleware()

    @classmethod
    def from_url(cls, url: str) -> DramatiqWorkerPool:
        """``dramatiq+redis://[:password@]host[:port][/db]`` (``rediss``: TLS) or
        ``dramatiq+amqp://user:password@host[:port]/[vhost]`` (``amqps``), with the pool's
        options (:data:`~chariots_dramatiq.urls.POOL_OPTIONS`), the broker's
        (``REDIS_OPTIONS``, ``AMQP_OPTIONS``) and its client's connection parameters."""
        parsed = urls.parse(url)
        pool = cls(urls.build_broker(parsed), **urls.pool_options(parsed))
        pool.url, pool._owns_broker = url, True
        return pool

    def _declare_actor(self) -> dramatiq.Actor[[str], None]:
        name = f"chariots_job:{self.queue}"
        actor = self.broker.actors.get(name)
        if actor is None:
            # a job's own timeout rules, not Dramatiq's TimeLimit (10 min by default)
            options = {"time_limit": math.inf} if "time_limit" in self.broker.actor_options else {}
            actor = dramatiq.Actor(
                functools.partial(perform, self), broker=self.broker, actor_name=name,
                queue_name=self.queue, priority=0,
                options=options,
            )  # fmt: skip
        else:  # another pool on this broker and queue: this one runs its jobs from now on
            actor.fn = functools.partial(perform, self)
        return actor

    def _add_middleware(self) -> RosterMiddleware:
        for middleware in self.broker.middleware:
            if isinstance(middleware, RosterMiddleware) and middleware.pool.queue == self.queue:
                middleware.pool = self
                return middleware
        middleware = RosterMiddleware(self)
        self.broker.add_middleware(middleware)
        return middleware

    def attach(self, app: PipelinesServer) -> None:
        """Count workers on the roster ``dramatiq:<queue>`` of the app's job store."""
        store = app.job_store
        if store is not None:
            roster = f"{self.backend}:{self.queue}"
            timeout = store.heartbeat_timeout
            self.roster = WorkerRoster(store.database, roster, heartbeat_timeout=timeout)

    # -- jobs -----------------------------------------------------------------------------------

    def submit(self, message: JobMessage) -> str | None:
        """Send the message to the pool's actor (``delay``: to Dramatiq's delay queue)."""
        self.send(message.to_json(), message.options.priority, message.options.delay or 0.0)
        return None

    def send(self, message_json: str, priority: int, delay: float) -> None:
        """Send a job's message, ``delay`` seconds from now (a retry, a delayed job)."""
        found = brokers.broker_priority(self.broker, priority)
        options: dict[str, Any] = {} if found is None else {"broker_priority": found}
        message = self.actor.message_with_options(args=(message_json,), **options)
        self.broker.enqueue(message, delay=math.ceil(delay * 1000) if delay > 0 else None)

    def cancel(self, job_id: str) -> bool:
        """Take a queued job's message off Redis's queue; ``False`` where it is no longer there
        or on RabbitMQ (the job store has marked the job cancelled: its worker drops it)."""
        return brokers.remove_queued(self.broker, self.queue, job_id)

    # -- workers --------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        """Threads of the Dramatiq workers alive on the queue (processes times threads), from the
        worker roster in the app's job store."""
        if self.roster is None:
            raise WorkerPoolError(f"{self!r} is attached to no app: it has no worker roster")
        return self.roster.count_alive()

    def start_workers(self, n: int = 1) -> None:
        """Fork ``n`` worker processes of ``threads`` threads each; return once they listen."""
        if n < 1:
            raise ValueError(f"start at least one worker, not {n}")
        self._background.start(functools.partial(work, self), n)

    def stop_workers(self, timeout: float = 30.0) -> None:
        self._background.stop(timeout)

    def run_worker(self, concurrency: int = 1) -> None:
        """``chariots worker --concurrency N``: N supervised worker processes (one: this one)."""
        run_in_foreground(functools.partial(work, self), concurrency, name="chariots-dramatiq")

    def forked(self) -> bool:
        """Whether this process is not the one that last used the broker (then it is now)."""
        forked, self._pid = self._pid != os.getpid(), os.getpid()
        return forked

    def close(self) -> None:
        """Stop the background workers; close the broker if the pool built it."""
        self.stop_workers()
        if self._owns_broker:
            self.broker.close()

    def describe(self) -> str:
        where = hide_password(self.url) if self.url else brokers.describe(self.broker)
        mode = "work horses" if self.fork else f"{self.threads} threads per process"
        return f"dramatiq pool on {where}, queue {self.queue!r}, {mode}"
