"""`CeleryWorkerPool`: chariots jobs on a Celery queue, on Redis or RabbitMQ."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import ClassVar
from urllib.parse import urlsplit

from celery import Celery
from kombu.entity import Exchange, Queue

from chariots_celery import task, worker
from chariots_core.jobs import JobMessage
from chariots_core.workers import BaseWorkerPool, Capability, honoured_priorities, kit

DEFAULT_QUEUE = "chariots-celery"
#: the priority levels told apart by default: as many as kombu's steps on Redis (all read them)
DEFAULT_PRIORITIES = (-1, 0, 5, 10)
#: the broker of ``CeleryWorkerPool()`` (Celery's own default)
DEFAULT_BROKER = "amqp://guest:guest@localhost:5672//"
#: kombu's Redis priority steps when an application sets none
REDIS_PRIORITY_STEPS = (0, 3, 6, 9)
#: revoke, revoke(terminate=True), soft and hard time limits, retries, countdowns, priorities
_EVERYWHERE = frozenset(
    Capability[name]
    for name in ("cancel_queued", "interrupt_running", "timeouts", "retries", "delay", "priority")
)
#: a killed worker's messages come back from RabbitMQ at once (its connection closed), from
#: Redis only after the visibility timeout: there its job ends lost first
CAPABILITIES_BY_TRANSPORT = {"redis": _EVERYWHERE, "amqp": _EVERYWHERE | {Capability.redelivery}}
#: the transport of each broker URL scheme the pool knows
TRANSPORTS = {"redis": "redis", "rediss": "redis", "amqp": "amqp", "amqps": "amqp"}
#: the pool's query parameters of ``celery+…://`` URLs (and its keyword arguments)
OPTIONS: dict[str, kit.UrlOption] = {
    "queue": kit.Text(DEFAULT_QUEUE, "the queue's name (up to 0.1.x: chariots)"),
    "timeout": kit.Seconds(help="seconds a job may run when its options give none"),
    "priorities": kit.Levels(DEFAULT_PRIORITIES, "the priority levels told apart", maximum=10),
    "kill_after": kit.Seconds(2.0, "seconds from a job's soft time limit to its hard one"),
    "visibility_timeout": kit.Seconds(3600.0, "Redis: seconds before an unacked message is back"),
    "inspect_timeout": kit.Seconds(1.0, "seconds n_workers waits for the workers' answers"),
    "logging_level": kit.Choice(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "WARNING"),
}
_BROKER_PARAMETERS = {"ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl"}


class CeleryWorkerPool(BaseWorkerPool):
    """A worker pool on Celery: each job is one message (JSON text) of the task
    ``chariots.run_job`` on one queue, run by Celery workers. Built from a broker URL
    (``CeleryWorkerPool("redis://…")``; :meth:`from_url` takes ``celery+redis://…``) for an
    application of its own, or from your Celery application (``celery_app=app``): the pool
    registers its task there and adds its queue to the application's queues, nothing else.
    Options: :data:`OPTIONS` (``visibility_timeout``: the pool's own application on Redis)."""

    backend: ClassVar[str] = "celery"
    capabilities: ClassVar[frozenset[Capability]] = _EVERYWHERE
    capabilities_by_transport = CAPABILITIES_BY_TRANSPORT

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
        logging_level: str = "WARNING",  # Celery's own lines; chariots logs one per job
    ) -> None:
        if broker_url is not None and celery_app is not None:
            raise TypeError("give the pool a broker URL or a Celery application, not both")
        check = {name: functools.partial(option.check, name) for name, option in OPTIONS.items()}
        self.timeout: float | None = check["timeout"](timeout)
        self.priorities: tuple[int, ...] = check["priorities"](priorities)
        self.kill_after: float = check["kill_after"](kill_after)
        self.inspect_timeout: float = check["inspect_timeout"](inspect_timeout)
        self.logging_level: str = check["logging_level"](logging_level)
        self.owns_app = celery_app is None
        broker = _broker_of(celery_app) if celery_app is not None else broker_url or DEFAULT_BROKER
        scheme = urlsplit(broker).scheme
        self.transport = TRANSPORTS.get(scheme, "amqp" if scheme == "pyamqp" else scheme)
        if visibility_timeout is not None and (self.transport != "redis" or not self.owns_app):
            raise kit.PoolURLError("visibility_timeout is for the pool's own application on Redis")
        if celery_app is None:
            visibility = check["visibility_timeout"](visibility_timeout) or 3600.0
            celery_app = _new_app(broker, self.transport, visibility)
        self.celery_app: Celery = celery_app
        self.queue = _queue(celery_app, check["queue"](queue), self.transport, len(self.priorities))
        self.task = task.register(self.celery_app)
        options = self.celery_app.conf.broker_transport_options or {}
        self.redis_steps = sorted(set(options.get("priority_steps", REDIS_PRIORITY_STEPS)))
        capabilities = CAPABILITIES_BY_TRANSPORT.get(self.transport, frozenset())
        vars(self)["capabilities"] = honoured_priorities(capabilities, self.broker_priority)
        self.background_workers = kit.BackgroundWorkers("chariots-celery-worker")
        self.url: str | None = None

    @classmethod
    def from_url(cls, url: str) -> CeleryWorkerPool:
        """``celery+redis://[user:password@]host[:port][/db]``, ``celery+amqp://user:password@host
        [:port]/vhost`` (``rediss``, ``amqps``: TLS), with :data:`OPTIONS` and TLS parameters."""
        parsed = kit.parse_pool_url(
            url, "celery", OPTIONS, transports=tuple(TRANSPORTS),
            passthrough=_BROKER_PARAMETERS, numbered_databases=("redis", "rediss"),
        )  # fmt: skip
        options = {name: value for name, value in parsed.options.items() if parsed.given(name)}
        pool = cls(parsed.transport_url(), **options)
        pool.url = url
        return pool

    def submit(self, message: JobMessage) -> str | None:
        """Send the job's message (JSON text, task id: the job's) with its priority, delay (a
        countdown) and time limits (soft: its timeout; hard: ``kill_after`` seconds later)."""
        options = message.options
        timeout = options.timeout if options.timeout is not None else self.timeout
        with kit.explaining_queue_conflicts():  # the queue is declared with the message
            self.task.apply_async(
                (message.to_json(),), task_id=message.job_id, queue=self.queue.name,
                priority=self.broker_priority(options.priority), countdown=options.delay or None,
                soft_time_limit=timeout,
                time_limit=None if timeout is None else timeout + self.kill_after,
            )  # fmt: skip
        return "PENDING"

    def cancel(self, job_id: str) -> bool:
        """Revoke the job: live workers drop its message (its cancelled record stops the others),
        a running job stops in its node (:data:`~chariots_celery.task.CANCEL_SIGNAL`): ``True``."""
        self.celery_app.control.revoke(job_id, terminate=True, signal=task.CANCEL_SIGNAL.name)
        return True

    def broker_priority(self, priority: int) -> int | None:
        """The broker's priority for a job of chariots priority ``priority``: RabbitMQ's go from
        0 (lowest) up, Redis's from 0 (highest) down, over the application's priority steps."""
        levels = self.priorities
        if len(levels) < 2 or self.transport not in CAPABILITIES_BY_TRANSPORT:
            return None
        rank = next((i for i, level in enumerate(levels) if level <= priority), len(levels) - 1)
        if self.transport == "amqp":
            return len(levels) - 1 - rank
        return int(self.redis_steps[rank * len(self.redis_steps) // len(levels)])

    @property
    def n_workers(self) -> int:
        """How many jobs the Celery workers consuming this queue run at once (their pools'
        processes), as they answer within ``inspect_timeout`` seconds."""
        # its own connection, closed after: a pooled one left awaiting replies hangs a forked child
        with self.celery_app.connection_for_write() as connection:
            inspect = functools.partial(
                self.celery_app.control.inspect, connection=connection, timeout=self.inspect_timeout
            )
            mine = self.queue.name
            answers = inspect().active_queues() or {}
            names = [n for n, qs in answers.items() if any(q.get("name") == mine for q in qs or [])]
            stats = (inspect(names, limit=len(names)).stats() if names else None) or {}
        return sum(int((s or {}).get("pool", {}).get("max-concurrency", 1)) for s in stats.values())

    def start_workers(self, n: int = 1, *, logging_level: str | None = None) -> None:
        """Fork a Celery worker from this process (it runs the apps registered here) whose pool
        runs ``n`` jobs at once; returns once it consumes."""
        if n < 1:
            raise ValueError(f"start at least one worker, not {n}")
        self.declare_queue()
        level = logging_level or self.logging_level
        self.background_workers.start(functools.partial(worker.work, self, n, level), 1)

    def stop_workers(self, timeout: float = 30.0) -> None:
        """Stop the workers :meth:`start_workers` started: the jobs in hand finish within
        ``timeout`` seconds, or are killed and end ``lost``."""
        self.background_workers.stop(timeout)

    def run_worker(self, concurrency: int = 1) -> None:
        """Run a Celery worker in this process (``chariots worker``), its prefork pool running
        ``concurrency`` jobs at once, until SIGTERM or Ctrl-C (the jobs in hand finish)."""
        self.declare_queue()
        target = functools.partial(worker.work, self, concurrency, self.logging_level)
        kit.run_in_foreground(target, 1, name="chariots-celery-worker")

    def declare_queue(self) -> None:
        """Declare the queue on RabbitMQ now: another of its name raises ``kit.QueueConflict``."""
        if self.transport == "amqp":
            with kit.explaining_queue_conflicts(), self.celery_app.connection_for_write() as conn:
                self.queue(conn.channel()).declare()  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Stop the embedded workers; close the pool's own application (not one given)."""
        self.stop_workers()
        if self.owns_app:
            self.celery_app.close()

    def describe(self) -> str:
        levels = f" ({len(self.priorities)} priority levels)" if self.priorities[1:] else ""
        broker = kit.hide_password(_broker_of(self.celery_app))
        return f"celery pool on {broker}, queue {self.queue.name!r}{levels}"


def _broker_of(app: Celery) -> str:
    url = app.conf.broker_url or app.conf.broker_read_url or DEFAULT_BROKER
    return str(url[0] if isinstance(url, list | tuple) else url).split(";")[0]


def _new_app(broker: str, transport: str, visibility: float) -> Celery:
    """The pool's own application: JSON only, no results, late acknowledgement, one message
    per free process, a broker out of reach waited for as long as it takes."""
    app = Celery("chariots", broker=broker, set_as_current=False)
    app.conf.update(
        task_serializer="json", accept_content=["json"], result_accept_content=["json"],
        event_serializer="json", task_ignore_result=True, task_acks_late=True,
        task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True, broker_connection_max_retries=None,
        broker_transport_options={"visibility_timeout": visibility} if transport == "redis" else {},
    )  # fmt: skip
    return app


def _queue(app: Celery, name: str, transport: str, levels: int) -> Queue:
    """The pool's queue among the application's (declared there already, or added: RabbitMQ's
    with ``x-max-priority``), so that its workers, ``celery worker`` included, consume it."""
    queues = app.amqp.queues
    if name not in queues:
        priorities = {"x-max-priority": levels - 1} if transport == "amqp" and levels > 1 else None
        exchange = Exchange(name, type="direct")  # type: ignore[no-untyped-call]
        queues.select_add(Queue(name, exchange, name, queue_arguments=priorities))  # type: ignore[no-untyped-call]
    return queues[name]  # type: ignore[no-any-return]
