"""`CeleryWorkerPool`: chariots jobs on a Celery queue, on Redis or RabbitMQ."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from celery import Celery
from kombu.entity import Exchange, Queue

from chariots_celery import task, worker
from chariots_core.jobs import JobMessage
from chariots_core.workers import BaseWorkerPool, Capability
from chariots_core.workers.kit import (
    BackgroundWorkers,
    Choice,
    Levels,
    PoolURLError,
    Seconds,
    Text,
    UrlOption,
    hide_password,
    parse_pool_url,
    run_in_foreground,
)

#: the queue chariots jobs go to unless told otherwise
DEFAULT_QUEUE = "chariots"
#: the priority levels told apart by default (higher first); others go to the nearest below
DEFAULT_PRIORITIES = tuple(range(-4, 5))
#: the broker of ``CeleryWorkerPool()`` with no argument (Celery's own default)
DEFAULT_BROKER = "amqp://guest:guest@localhost:5672//"
#: kombu's Redis priority steps when an application sets none
REDIS_PRIORITY_STEPS = (0, 3, 6, 9)
#: Celery's name of the state of a job sent to its queue (its native status)
PENDING = "PENDING"

_EVERY_BROKER = frozenset(
    {
        Capability.cancel_queued,  # revoke
        Capability.interrupt_running,  # revoke(terminate=True)
        Capability.timeouts,  # soft and hard time limits
        Capability.retries,
        Capability.delay,  # countdown
        Capability.priority,
    }
)
#: a killed worker's messages come back from RabbitMQ at once (its connection closed), from
#: Redis only after the visibility timeout: there its job ends lost first
CAPABILITIES_BY_TRANSPORT = {
    "redis": _EVERY_BROKER,
    "amqp": _EVERY_BROKER | {Capability.redelivery},
}
#: a broker URL's scheme, as its transport is known in ``capabilities_by_transport``
_TRANSPORTS = {"redis": "redis", "rediss": "redis", "amqp": "amqp", "amqps": "amqp"}
_TRANSPORTS["pyamqp"] = "amqp"
#: the query parameters of ``celery+…://`` URLs (the broker's own ones are passed on to it)
OPTIONS: dict[str, UrlOption] = {
    "queue": Text(DEFAULT_QUEUE, "the queue's name"),
    "timeout": Seconds(help="seconds a job may run when its options give none"),
    "priorities": Levels(DEFAULT_PRIORITIES, "the priority levels told apart", maximum=10),
    "kill_after": Seconds(2.0, "seconds past a job's timeout (its soft limit) to its hard limit"),
    "visibility_timeout": Seconds(help="Redis: seconds before an unacknowledged message is back"),
    "inspect_timeout": Seconds(1.0, "seconds n_workers waits for the workers' answers"),
    "logging_level": Choice(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO"),
}
_BROKER_PARAMETERS = frozenset(
    {"ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_check_hostname"}
) | {"ssl", "heartbeat", "connect_timeout", "socket_timeout", "socket_connect_timeout"}


class CeleryWorkerPool(BaseWorkerPool):
    """A worker pool on Celery: each job is one message of the task ``chariots.run_job`` (its
    JSON text), on one queue, run by Celery workers.

    Built from a broker URL (``CeleryWorkerPool("redis://…")``, or :meth:`from_url` with
    ``celery+redis://…``, ``celery+amqp://…``) for an application of its own, or from the Celery
    application you have (``celery_app=app``): the pool registers its one task on it and adds its
    queue to the application's queues, and changes nothing else. ``queue`` (default
    ``chariots``), ``timeout`` (when a job's options give none), ``priorities`` (the levels told
    apart, at most 10: a job takes the highest level not above its priority), ``kill_after``
    (seconds between a job's soft time limit, its timeout, and the hard one), and, for a broker
    URL on Redis, ``visibility_timeout`` (default 3600: a message a worker has not acknowledged
    by then is delivered again; see the docs for the bound it sets).
    """

    backend: ClassVar[str] = "celery"
    capabilities: ClassVar[frozenset[Capability]] = _EVERY_BROKER
    capabilities_by_transport: ClassVar[dict[str, frozenset[Capability]]] = (
        CAPABILITIES_BY_TRANSPORT
    )

    def __init__(
        self,
        broker_url: str | None = None,
        *,
        celery_app: Celery | None = None,
        queue: str = DEFAULT_QUEUE,
        timeout: float | None = None,
        priorities: Iterable[int] | str = DEFAULT_PRIORITIES,
        kill_after: float = 2.0,
        visibility_timeout: float | None = None,
        inspect_timeout: float = 1.0,
        logging_level: str = "INFO",
    ) -> None:
        given = dict(queue=queue, timeout=timeout, priorities=priorities, kill_after=kill_after)
        given |= dict(inspect_timeout=inspect_timeout, logging_level=logging_level)
        checked = {name: OPTIONS[name].check(name, value) for name, value in given.items()}
        self.timeout: float | None = checked["timeout"]
        self.priorities: tuple[int, ...] = checked["priorities"]
        self.kill_after: float = checked["kill_after"]
        self.inspect_timeout: float = checked["inspect_timeout"]
        self.logging_level: str = checked["logging_level"]
        if broker_url is not None and celery_app is not None:
            raise TypeError("give the pool a broker URL or a Celery application, not both")
        self.owns_app = celery_app is None
        broker = str(broker_url or DEFAULT_BROKER) if celery_app is None else _broker_of(celery_app)
        self.transport = _TRANSPORTS.get(urlsplit(broker).scheme, urlsplit(broker).scheme)
        if visibility_timeout is not None and (self.transport != "redis" or not self.owns_app):
            raise PoolURLError(
                "visibility_timeout is an option of the pool's own application on Redis (give "
                "your application's in its broker_transport_options)"
            )
        if celery_app is None:
            visibility = OPTIONS["visibility_timeout"].check("visibility", visibility_timeout)
            celery_app = _new_app(broker, self.transport, len(self.priorities), visibility)
        self.celery_app: Celery = celery_app
        self.queue: Queue = _queue(celery_app, checked["queue"], self.transport, self.priorities)
        self.task = task.register(celery_app)
        options = celery_app.conf.broker_transport_options or {}
        self.redis_steps = sorted(set(options.get("priority_steps", REDIS_PRIORITY_STEPS)))
        capabilities = CAPABILITIES_BY_TRANSPORT.get(self.transport, frozenset())
        if len(self.priorities) < 2:
            capabilities -= {Capability.priority}
        vars(self)["capabilities"] = capabilities
        #: the worker processes :meth:`start_workers` started
        self.background_workers = BackgroundWorkers("chariots-celery-worker")
        self.url: str | None = None

    @classmethod
    def from_url(cls, url: str) -> CeleryWorkerPool:
        """``celery+redis://[user:password@]host[:port][/db]``, ``celery+rediss://…`` (TLS),
        ``celery+amqp://user:password@host[:port]/vhost``, ``celery+amqps://…``, with the pool's
        options (:data:`OPTIONS`) and the broker's TLS and connection parameters."""
        parsed = parse_pool_url(
            url, "celery", OPTIONS, transports=tuple(_TRANSPORTS),
            passthrough=_BROKER_PARAMETERS, numbered_databases=("redis", "rediss"),
        )  # fmt: skip
        options = {name: value for name, value in parsed.options.items() if parsed.given(name)}
        pool = cls(parsed.transport_url(), **options)
        pool.url = url
        return pool

    # -- jobs -----------------------------------------------------------------------------------

    def submit(self, message: JobMessage) -> str | None:
        """Send the task's message (the job's JSON text, under the job's id) to the queue, with
        the job's priority, delay (a countdown) and time limits (soft: its timeout; hard:
        ``kill_after`` seconds later)."""
        options = message.options
        timeout = options.timeout if options.timeout is not None else self.timeout
        self.task.apply_async(
            (message.to_json(),),
            task_id=message.job_id,
            queue=self.queue.name,
            priority=self.broker_priority(options.priority),
            countdown=options.delay or None,
            soft_time_limit=timeout,
            time_limit=None if timeout is None else timeout + self.kill_after,
        )
        return PENDING

    def cancel(self, job_id: str) -> bool:
        """Revoke the job: the workers alive drop its message when it comes (the job's record,
        cancelled, stops the others); a running job is stopped in its node (``JobCancelled``
        raised there by :data:`~chariots_celery.task.CANCEL_SIGNAL`) and ends ``cancelled``.
        Celery does not say whether it had the message: ``True``."""
        self.celery_app.control.revoke(job_id, terminate=True, signal=task.CANCEL_SIGNAL.name)
        return True

    def broker_priority(self, priority: int) -> int | None:
        """The broker's priority of a job of chariots priority ``priority``: RabbitMQ's run from
        0 (lowest) up, Redis's from 0 (highest) down, over the application's priority steps."""
        levels = self.priorities
        if len(levels) < 2 or self.transport not in CAPABILITIES_BY_TRANSPORT:
            return None
        rank = next((i for i, level in enumerate(levels) if level <= priority), len(levels) - 1)
        if self.transport == "amqp":
            return len(levels) - 1 - rank
        return int(self.redis_steps[rank * len(self.redis_steps) // len(levels)])

    # -- workers --------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        """How many jobs the Celery workers consuming this queue run at once (their pools'
        processes), as they answer within ``inspect_timeout`` seconds."""
        # a connection of its own, closed after: one left waiting for replies in the pool would
        # hang a process forked from this one (closing it after the fork reads the wait's end)
        with self.celery_app.connection_for_write() as connection:
            inspect = functools.partial(
                self.celery_app.control.inspect, connection=connection, timeout=self.inspect_timeout
            )
            answers = inspect().active_queues() or {}
            names = [
                name
                for name, queues in answers.items()
                if any(queue.get("name") == self.queue.name for queue in queues or [])
            ]
            stats = inspect(names, limit=len(names)).stats() if names else {}
        return sum(
            int((found or {}).get("pool", {}).get("max-concurrency", 1))
            for found in (stats or {}).values()
        )

    def start_workers(self, n: int = 1, *, logging_level: str | None = None) -> None:
        """Fork a Celery worker from this process (it runs the apps registered here) whose pool
        runs ``n`` jobs at once; returns once it consumes. It logs at WARNING unless told."""
        if n < 1:
            raise ValueError(f"start at least one worker, not {n}")
        level = logging_level or ("WARNING" if self.logging_level == "INFO" else self.logging_level)
        self.background_workers.start(functools.partial(worker.work, self, n, level), 1)

    def stop_workers(self, timeout: float = 30.0) -> None:
        """Stop the workers :meth:`start_workers` started (a warm shutdown: the jobs in hand
        finish) within ``timeout`` seconds; then they are killed and their jobs end ``lost``."""
        self.background_workers.stop(timeout)

    def run_worker(self, concurrency: int = 1) -> None:
        """Run a Celery worker in this process (``chariots worker``), its prefork pool running
        ``concurrency`` jobs at once, until SIGTERM or Ctrl-C (the jobs in hand finish)."""
        target = functools.partial(worker.work, self, concurrency, self.logging_level)
        run_in_foreground(target, 1, name="chariots-celery-worker")

    # -- the rest -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the embedded workers, if any, and close the connections of the pool's own
        application (an application given is left open)."""
        self.stop_workers()
        if self.owns_app:
            self.celery_app.close()

    def describe(self) -> str:
        levels = len(self.priorities)
        return f"celery pool on {hide_password(_broker_of(self.celery_app))}, queue " + (
            f"{self.queue.name!r}" + (f" ({levels} priority levels)" if levels > 1 else "")
        )


def _broker_of(app: Celery) -> str:
    url = app.conf.broker_url or app.conf.broker_read_url or DEFAULT_BROKER
    return str(url[0] if isinstance(url, list | tuple) else url).split(";")[0]


def _new_app(broker: str, transport: str, levels: int, visibility: float | None) -> Celery:
    """The pool's own application: JSON only, no results, late acknowledgement, one message
    per free process; on Redis, a priority step per level."""
    app = Celery("chariots", broker=broker, set_as_current=False)
    transport_options: dict[str, Any] = {}
    if transport == "redis":
        transport_options = {"visibility_timeout": visibility or 3600.0}
        transport_options["priority_steps"] = list(range(levels))
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        event_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options,
    )
    return app


def _queue(app: Celery, name: str, transport: str, levels: tuple[int, ...]) -> Queue:
    """The pool's queue among the application's (declared there already, or added: RabbitMQ's
    with ``x-max-priority``), so that its workers, ``celery worker`` included, consume it."""
    queues = app.amqp.queues
    if name not in queues:
        arguments = (
            {"x-max-priority": len(levels) - 1} if transport == "amqp" and levels[1:] else {}
        )
        exchange = Exchange(name, type="direct")  # type: ignore[no-untyped-call]
        queues.add(Queue(name, exchange, routing_key=name, queue_arguments=arguments or None))  # type: ignore[no-untyped-call]
    found: Queue = queues[name]
    return found
