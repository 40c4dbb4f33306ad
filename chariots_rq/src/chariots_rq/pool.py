"""`RQWorkerPool`: chariots jobs on RQ queues in Redis."""

from __future__ import annotations

import functools
import math
import signal
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from typing import Any, ClassVar

from redis import Redis
from redis.connection import URL_QUERY_ARGUMENT_PARSERS
from rq import Callback, Queue, Retry
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus as RQJobStatus
from rq.serializers import JSONSerializer
from rq.utils import as_text
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

from chariots_core.jobs import JobMessage
from chariots_core.workers import BaseWorkerPool, Capability, honoured_priorities
from chariots_core.workers.kit import (
    BackgroundWorkers,
    Choice,
    Count,
    Flag,
    Levels,
    PoolURLError,
    Seconds,
    Text,
    UrlOption,
    parse_pool_url,
    run_in_foreground,
)
from chariots_rq import task, worker

#: the queue chariots jobs go to unless told otherwise
DEFAULT_QUEUE = "chariots"
#: the priorities that get a queue of their own, by default; others go to the nearest one
DEFAULT_PRIORITIES = tuple(range(-10, 11))
#: RQ states in which a job has not started: ``cancel`` removes it from its queue
_NOT_STARTED = {RQJobStatus(name) for name in ("queued", "scheduled", "deferred", "created")}
#: a second SIGTERM is RQ's cold stop (killing the horse, unregistering), ignored within 1 s
_PROCESS_OPTIONS: dict[str, Any] = {"cold_signal": signal.SIGTERM, "cold_after": 1.1}
#: an ``rq://`` URL (or a pool argument) that cannot be used; the message says why
RQURLError = PoolURLError
#: how the pool's workers run: each field is also a query parameter of ``rq://`` URLs
WORKER_OPTIONS: dict[str, UrlOption] = {
    "fork": Flag(True, "run each job in a forked work horse (rq.Worker), else in the worker"),
    "worker_ttl": Count(420, "seconds a worker's registration lives without a beat", minimum=16),
    "job_monitoring_interval": Count(30, "seconds between a worker's beats for its job"),
    "maintenance_interval": Count(600, "seconds between cleanups of the queues' registries"),
    "abandoned_after": Count(60, "seconds past a missed beat till a job is abandoned", minimum=0),
    "logging_level": Choice(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "WARNING"),
}
#: the pool's own query parameters of ``rq://`` URLs (the rest go to Redis)
POOL_OPTIONS: dict[str, UrlOption] = {
    "queue": Text(help="the queue's name (default: chariots)"),
    "timeout": Seconds(help="seconds a job may run when its options give none"),
    "result_ttl": Seconds(help="seconds RQ keeps a finished job's record"),
    "failure_ttl": Seconds(help="seconds RQ keeps a failed job's record"),
    "priorities": Levels(help="the priority levels that get a queue each (-10..10)"),
}
_REDIS_PARAMETERS = frozenset(URL_QUERY_ARGUMENT_PARSERS) | {
    "client_name", "lib_name", "lib_version", "username", "password", "path", "ssl_keyfile",
    "ssl_certfile", "ssl_cert_reqs", "ssl_ca_certs", "ssl_ca_path", "ssl_ca_data",
    "ssl_password", "ssl_ciphers",
}  # fmt: skip


@dataclass(frozen=True)
class WorkerOptions:
    """How the RQ workers of a pool run: the fields of :data:`WORKER_OPTIONS` (also query
    parameters of ``rq://`` URLs); ``abandoned_after`` replaces RQ's own grace of 60 s."""

    fork: bool = True
    worker_ttl: int = 420
    job_monitoring_interval: int = 30
    maintenance_interval: int = 600
    abandoned_after: int = 60
    logging_level: str = "WARNING"  # RQ's own lines; chariots logs one line per job

    def __post_init__(self) -> None:
        for name, option in WORKER_OPTIONS.items():
            object.__setattr__(self, name, option.check(name, getattr(self, name)))

    def replace(self, **changes: Any) -> WorkerOptions:
        unknown = set(changes) - {field.name for field in fields(self)}
        if unknown:
            raise TypeError(
                f"unknown worker options {sorted(unknown)} (known: {list(WORKER_OPTIONS)})"
            )
        return replace(self, **changes)


class RQWorkerPool(BaseWorkerPool):
    """A worker pool on RQ: jobs are RQ jobs in Redis, run by RQ workers.

    Built from a Redis client (``RQWorkerPool(redis=Redis())``), ``redis_kwargs``, or a URL
    (:meth:`from_url`); ``Redis()`` otherwise. ``queue`` (default ``chariots``), ``timeout``
    (when a job's options give none; default: no limit), ``result_ttl``/``failure_ttl`` (RQ's own
    records), ``priorities`` (the levels that get a queue each, listened to highest first; a job
    goes to the highest level not above its priority), ``queue_kwargs`` for ``rq.Queue`` (JSON
    always), ``worker_options`` (:class:`WorkerOptions`, or a mapping).

    RQ does what a job's options ask: ``timeout`` (the work horse is killed), ``retries`` (RQ's
    ``Retry``), ``delay`` (``enqueue_at``), ``priority`` (the queue); its schedule counts whole
    seconds, so delays and retry intervals are rounded up. :meth:`cancel` cancels a queued job
    and stops a running one (``send_stop_job_command``).
    """

    backend: ClassVar[str] = "rq"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.cancel_queued, Capability.interrupt_running, Capability.timeouts,
        Capability.retries, Capability.delay, Capability.priority,
    })  # fmt: skip

    def __init__(
        self,
        redis: Redis | None = None,
        *,
        redis_kwargs: Mapping[str, Any] | None = None,
        queue: str | None = None,
        queue_kwargs: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        result_ttl: float | None = None,
        failure_ttl: float | None = None,
        priorities: Iterable[int] | str = DEFAULT_PRIORITIES,
        worker_options: WorkerOptions | Mapping[str, Any] | None = None,
    ) -> None:
        redis_kwargs = _mapping("redis_kwargs", redis_kwargs)
        queue_kwargs = _mapping("queue_kwargs", queue_kwargs)
        if redis is not None and redis_kwargs:
            raise TypeError("give the pool a Redis client or redis_kwargs, not both")
        if redis is not None and not isinstance(redis, Redis):
            raise TypeError(f"redis must be a redis.Redis client, not {type(redis).__name__}")
        self.redis: Redis = redis if redis is not None else Redis(**redis_kwargs)
        if reserved := {"connection", "serializer"} & set(queue_kwargs):
            raise TypeError(
                f"queue_kwargs cannot set {sorted(reserved)}: the pool's messages are JSON and its "
                "connection is its Redis client"
            )
        name_kwarg = queue_kwargs.pop("name", None)
        if queue is not None and name_kwarg is not None and queue != name_kwarg:
            raise TypeError(
                f"two queue names given: queue={queue!r}, queue_kwargs name={name_kwarg!r}"
            )
        check = {name: option.check for name, option in POOL_OPTIONS.items()}
        self.queue_name: str = check["queue"]("queue", queue or name_kwarg or DEFAULT_QUEUE)
        default_timeout = queue_kwargs.pop("default_timeout", None)
        self.timeout = check["timeout"]("timeout", default_timeout if timeout is None else timeout)
        self.result_ttl = check["result_ttl"]("result_ttl", result_ttl)
        self.failure_ttl = check["failure_ttl"]("failure_ttl", failure_ttl)
        self.priorities: tuple[int, ...] = check["priorities"]("priorities", priorities)
        self.worker_options: WorkerOptions = _worker_options(WorkerOptions(), worker_options)
        self.queues: list[Queue] = [
            Queue(self.queue_name_for(lv), connection=self.redis, serializer=JSONSerializer,
                  **queue_kwargs) for lv in self.priorities
        ]  # fmt: skip
        vars(self)["capabilities"] = honoured_priorities(self.capabilities, self.queue_for)
        #: the worker processes :meth:`start_workers` started
        self.background_workers = BackgroundWorkers("chariots-rq-worker", **_PROCESS_OPTIONS)
        self.url: str | None = None

    @classmethod
    def from_url(cls, url: str) -> RQWorkerPool:
        """``rq://[user:password@]host[:port][/db]``, ``rq+rediss://…`` (TLS), ``rq+unix:///path
        /to/redis.sock?db=0``, with the pool's options (:data:`POOL_OPTIONS`), its workers'
        (:data:`WORKER_OPTIONS`) and Redis's connection parameters (``socket_timeout``, …)."""
        parsed = parse_pool_url(
            url, "rq", {**POOL_OPTIONS, **WORKER_OPTIONS},
            transports=("redis", "rediss", "unix"), default_transport="redis",
            passthrough=_REDIS_PARAMETERS, numbered_databases=("redis", "rediss"),
        )  # fmt: skip
        try:
            redis = Redis.from_url(parsed.transport_url())
        except ValueError as error:
            raise RQURLError(f"cannot connect the pool to {parsed.describe()!r}: {error}") from None
        given = {name: value for name, value in parsed.options.items() if parsed.given(name)}
        workers = {name: given.pop(name) for name in list(given) if name in WORKER_OPTIONS}
        pool = cls(redis, worker_options=workers, **given)
        pool.url = url
        return pool

    # -- queues ---------------------------------------------------------------------------------

    @property
    def queue_names(self) -> list[str]:  # highest priority first: the order workers listen in
        return [queue.name for queue in self.queues]

    def queue_name_for(self, level: int) -> str:
        """The queue of priority ``level``: the pool's queue name, ``<name>:p+<level>``…"""
        return self.queue_name if level == 0 else f"{self.queue_name}:p{level:+d}"

    def queue_for(self, priority: int) -> Queue:
        """The queue a job of this priority goes to."""
        for level, queue in zip(self.priorities, self.queues, strict=True):  # highest first
            if level <= priority:
                return queue
        return self.queues[-1]

    # -- jobs -----------------------------------------------------------------------------------

    def submit(self, message: JobMessage) -> str | None:
        """Enqueue an RQ job of :func:`chariots_rq.task.run_message` (the message its argument)."""
        options = message.options
        timeout = options.timeout if options.timeout is not None else self.timeout
        kwargs: dict[str, Any] = {
            "job_id": message.job_id,
            "job_timeout": -1 if timeout is None else _whole_seconds(timeout),
            "description": f"chariots job {message.job_id}: {message.app}/{message.pipeline}",
            "on_failure": Callback(task.ON_FAILURE),
            "on_stopped": Callback(task.ON_STOPPED),
        }
        for key, ttl in (("result_ttl", self.result_ttl), ("failure_ttl", self.failure_ttl)):
            if (options.ttl or ttl) is not None:
                kwargs[key] = _whole_seconds(options.ttl or ttl or 0)
        if options.retries:
            # RQ truncates its intervals to whole seconds: one more makes the interval a floor
            interval = _whole_seconds(options.retry_interval) + 1 if options.retry_interval else 0
            kwargs["retry"] = Retry(max=options.retries, interval=interval)
        queue, text = self.queue_for(options.priority), message.to_json()
        if options.delay:
            # RQ's schedule counts whole seconds: round the start up, never early
            start = datetime.fromtimestamp(math.ceil(time.time() + options.delay), timezone.utc)
            job = queue.enqueue_at(start, task.RUN_MESSAGE, text, **kwargs)
        else:
            job = queue.enqueue(task.RUN_MESSAGE, text, **kwargs)
        return str(job.get_status(refresh=False).value)

    def holds_message(self, job_id: str) -> bool:
        """Whether RQ has the job waiting to start (a started one's worker may be dead)."""
        status = self.redis.hget(RQJob.key_for(job_id), "status")
        return status is not None and RQJobStatus(as_text(status)) in _NOT_STARTED

    def native_status_on_submit(self, message: JobMessage) -> str | None:
        """RQ's status of a job :meth:`submit` enqueues (recorded with the job's record)."""
        return "scheduled" if message.options.delay else "queued"

    def cancel(self, job_id: str) -> bool:
        """Cancel the RQ job if it has not started, stop it if it runs (its worker kills the
        work horse, and the job ends ``cancelled``). ``False`` when RQ has no such job or it
        has finished."""
        try:
            job = RQJob.fetch(job_id, connection=self.redis, serializer=JSONSerializer)
            status = job.get_status(refresh=False)
            if status in _NOT_STARTED:
                job.cancel()
                return True
            if status == RQJobStatus.STARTED:
                send_stop_job_command(self.redis, job_id, serializer=JSONSerializer)
                return True
        except (NoSuchJobError, InvalidJobOperation):  # gone, or moved on meanwhile
            return False
        return False

    # -- workers --------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        """RQ workers on this pool's queues (a killed one counts until its ``worker_ttl``)."""
        with self.redis.pipeline(transaction=False) as pipeline:
            for name in self.queue_names:
                pipeline.smembers(WORKERS_BY_QUEUE_KEY % name)
            for key in sorted(set().union(*pipeline.execute())):
                pipeline.hmget(key, "birth", "death")  # registered, and not dead
            return sum(birth is not None and death is None for birth, death in pipeline.execute())

    def start_workers(
        self, n: int = 1, *, worker_options: WorkerOptions | Mapping[str, Any] | None = None
    ) -> None:
        """Fork ``n`` RQ workers (running the apps registered here); return once they listen."""
        options = _worker_options(self.worker_options, worker_options)
        self.background_workers.start(functools.partial(worker.work, self, options), n)

    def stop_workers(self, timeout: float = 30.0) -> None:
        """Stop them: each finishes its job in hand within ``timeout``, or is killed."""
        self.background_workers.stop(timeout)

    def run_worker(self, concurrency: int = 1) -> None:
        """Run RQ workers in the foreground (``chariots worker``): this process is the worker
        when ``concurrency`` is 1, else that many supervised worker processes. The first
        SIGINT/SIGTERM lets the jobs in hand finish; a second one kills them."""
        target = functools.partial(worker.work, self, self.worker_options)
        run_in_foreground(target, concurrency, name="chariots-rq-worker", **_PROCESS_OPTIONS)

    # -- the rest -------------------------------------------------------------------------------

    def close(self) -> None:
        self.stop_workers()
        self.redis.close()

    def describe(self) -> str:
        kwargs = self.redis.connection_pool.connection_kwargs
        host = f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
        where = f"unix:{kwargs['path']}" if kwargs.get("path") else host
        levels = f" ({len(self.priorities)} priority levels)" if self.priorities[1:] else ""
        return f"rq pool on redis {where}/{kwargs.get('db', 0)}, queue {self.queue_name!r}{levels}"


def _worker_options(
    base: WorkerOptions, given: WorkerOptions | Mapping[str, Any] | None
) -> WorkerOptions:
    """``given`` if whole options, else ``base`` with the changes ``given`` maps."""
    return given if isinstance(given, WorkerOptions) else base.replace(**dict(given or {}))


def _whole_seconds(value: float) -> int:
    """RQ counts whole seconds: round a duration up (never to 0)."""
    return max(1, math.ceil(value))


def _mapping(name: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, not {type(value).__name__}")
    return dict(value or {})
