"""`DramatiqWorkerPool`: chariots jobs as Dramatiq messages, run by Dramatiq workers."""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

import dramatiq
from dramatiq.broker import Broker
from dramatiq.encoder import JSONEncoder

from chariots_core.errors import WorkerPoolError
from chariots_core.jobs import JobMessage
from chariots_core.workers import BaseWorkerPool, Capability, PoolContext, kit
from chariots_dramatiq import brokers, urls
from chariots_dramatiq.worker import LockedRoster, RosterMiddleware, perform, work

#: what the pool honours on any broker with its default ``fork=true``
_DEFAULT = brokers.COMMON | {Capability.timeouts}


class DramatiqWorkerPool(BaseWorkerPool):
    """A worker pool on Dramatiq: each job is a message to the actor ``chariots_job:<queue>``
    whose one argument is the job's JSON message.

    Built on a broker the team has (``DramatiqWorkerPool(broker=RedisBroker(...))``; default:
    Dramatiq's global broker) or from a URL (:meth:`from_url`). ``queue`` (default
    ``chariots-dramatiq``); ``fork`` (default true): each job in a forked work horse killed at
    the job's timeout, one job at a time per worker process; else jobs run in ``threads``
    threads per process; ``worker_timeout``: seconds an idle worker waits before it polls again.

    What it honours depends on the broker (``capabilities``): Redis can take a queued message
    off its queue (``cancel_queued``); RabbitMQ orders messages by priority (with
    ``max_priority``) and re-delivers a dead worker's messages at once (``redelivery``).
    """

    backend: ClassVar[str] = urls.SCHEME
    capabilities: ClassVar[frozenset[Capability]] = _DEFAULT
    capabilities_by_transport: ClassVar[dict[str, frozenset[Capability]]] = {
        transport: _DEFAULT | extra for transport, extra in brokers.BY_TRANSPORT.items()
    }

    def __init__(
        self, broker: Broker | None = None, *, queue: str = urls.DEFAULT_QUEUE, fork: bool = True,
        threads: int = 1, worker_timeout: float = 1.0,
    ) -> None:  # fmt: skip
        if broker is not None and not isinstance(broker, Broker):
            raise TypeError(f"broker must be a dramatiq Broker, not {type(broker).__name__}")
        if not isinstance(dramatiq.get_encoder(), JSONEncoder):
            raise WorkerPoolError("chariots messages are JSON: set no other Dramatiq encoder")
        check = {name: option.check for name, option in urls.POOL_OPTIONS.items()}
        self.broker: Broker = broker if broker is not None else dramatiq.get_broker()
        self.queue: str = check["queue"]("queue", queue)
        self.fork: bool = check["fork"]("fork", fork)
        self.threads: int = check["threads"]("threads", threads)
        self.worker_timeout: float = check["worker_timeout"]("worker_timeout", worker_timeout)
        if self.fork and self.threads > 1:
            raise kit.PoolURLError(
                "fork=true runs one job at a time per worker process (in its work horse): run "
                "more processes (--concurrency), or give fork=false for threads"
            )
        vars(self)["capabilities"] = brokers.capabilities(self.broker, self.fork)
        self.url: str | None = None
        self.roster: kit.WorkerRoster | None = None
        self._owns_broker = False
        self._background = kit.BackgroundWorkers("chariots-dramatiq-worker")
        run = functools.partial(perform, self)
        actor = self.broker.actors.get(self.actor_name)
        if actor is None:  # a job's own timeout rules, not Dramatiq's TimeLimit (10 min)
            options = {"time_limit": math.inf} if "time_limit" in self.broker.actor_options else {}
            actor = dramatiq.Actor(
                run, broker=self.broker, actor_name=self.actor_name,
                queue_name=self.queue, priority=0, options=options,
            )  # fmt: skip
        else:  # a pool built before on this broker and queue: this one runs the jobs now
            actor.fn = run
        self.actor: dramatiq.Actor[[str], None] = actor
        found = [m for m in self.broker.middleware if isinstance(m, RosterMiddleware)]
        found = [middleware for middleware in found if middleware.pool.queue == self.queue]
        self.roster_middleware = found[0] if found else RosterMiddleware(self)
        if not found:
            self.broker.add_middleware(self.roster_middleware)
        self.roster_middleware.pool = self

    @classmethod
    def from_url(cls, url: str) -> DramatiqWorkerPool:
        """``dramatiq+redis://[:password@]host[:port][/db]`` (``rediss``: TLS) or
        ``dramatiq+amqp://user:password@host[:port]/[vhost]`` (``amqps``), with the options of
        the pool (``POOL_OPTIONS``), broker (``REDIS_OPTIONS``, ``AMQP_OPTIONS``) and client."""
        parsed = urls.parse(url)
        options = {name: parsed.options[name] for name in urls.POOL_OPTIONS}
        pool = cls(urls.build_broker(parsed), **options)
        pool.url, pool._owns_broker = url, True
        return pool

    @property
    def actor_name(self) -> str:
        return f"chariots_job:{self.queue}"

    def attach(self, context: PoolContext) -> None:
        """Count workers on the app's roster ``dramatiq:<queue>``."""
        if context.has_roster:
            self.roster = context.roster(f"dramatiq:{self.queue}", LockedRoster)

    # -- jobs -----------------------------------------------------------------------------------

    def submit(self, message: JobMessage) -> str | None:
        """Send the message to the pool's actor (``delay``: to Dramatiq's delay queue)."""
        self.send(message.to_json(), message.options.priority, message.options.delay or 0.0)
        return None

    def send(self, message_json: str, priority: int, delay: float) -> None:
        """Send a job's message, ``delay`` seconds from now (a delayed job, a retry)."""
        found = brokers.broker_priority(self.broker, priority)
        options: dict[str, Any] = {} if found is None else {"broker_priority": found}
        message = self.actor.message_with_options(args=(message_json,), **options)
        with kit.explaining_queue_conflicts():  # the queue is declared with its first message
            self.broker.enqueue(message, delay=math.ceil(delay * 1000) if delay > 0 else None)

    def cancel(self, job_id: str) -> bool:
        """Take a queued job's message off its Redis queue; ``False`` once a worker fetched it,
        and on RabbitMQ (the job is marked cancelled: the worker that gets it drops it)."""
        return brokers.remove_queued(self.broker, self.queue, job_id)

    # -- workers --------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        """Threads of the Dramatiq workers alive on the queue (processes times threads), from
        the worker roster in the app's job store."""
        if self.roster is None:
            raise WorkerPoolError(f"{self!r} is attached to no app: it has no worker roster")
        return self.roster.count_alive()

    def start_workers(self, n: int = 1) -> None:
        """Fork ``n`` worker processes of ``threads`` threads each; return once they listen."""
        brokers.declare_queue(self.broker, self.queue)
        self._background.start(functools.partial(work, self), n)

    def stop_workers(self, timeout: float = 30.0) -> None:
        self._background.stop(timeout)

    def run_worker(self, concurrency: int = 1) -> None:
        """``chariots worker --concurrency N``: N supervised worker processes (one: this one)."""
        brokers.declare_queue(self.broker, self.queue)
        kit.run_in_foreground(functools.partial(work, self), concurrency, name="chariots-dramatiq")

    def close(self) -> None:
        """Stop the background workers; close the broker if the pool built it."""
        self.stop_workers()
        if self._owns_broker:
            self.broker.close()

    def describe(self) -> str:
        where = kit.hide_password(self.url.partition("?")[0]) if self.url else None
        mode = "work horses" if self.fork else f"{self.threads} threads per process"
        return f"dramatiq pool on {where or brokers.describe(self.broker)}, {self.queue!r}, {mode}"
