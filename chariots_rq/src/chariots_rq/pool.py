"""`RQWorkerPool`: chariots jobs on RQ queues in Redis."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from redis import Redis
from rq import Callback, Queue, Retry
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus as RQJobStatus
from rq.serializers import JSONSerializer
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

from chariots_core.workers import BaseWorkerPool, Capability
from chariots_rq import task
from chariots_rq._options import (
    DEFAULT_PRIORITIES,
    DEFAULT_QUEUE,
    RQURLError,
    WorkerOptions,
    check_seconds,
    parse_priorities,
    parse_url,
    rq_seconds,
    safe_url,
    validated_mapping,
)
from chariots_rq.worker import EmbeddedWorkers, run_foreground

if TYPE_CHECKING:
    from chariots_core.jobs import JobMessage
    from chariots_core.pipelines import PipelinesServer

#: ``queue_kwargs`` the pool sets itself (a JSON serializer, its own queue names and Redis)
_RESERVED_QUEUE_KWARGS = frozenset({"connection", "serializer"})
#: RQ states in which a job has not started: ``cancel`` removes it from its queue
_NOT_STARTED = frozenset(
    {RQJobStatus.QUEUED, RQJobStatus.SCHEDULED, RQJobStatus.DEFERRED, RQJobStatus.CREATED}
)


class RQWorkerPool(BaseWorkerPool):
    """A worker pool on RQ: jobs are RQ jobs in Redis, run by RQ workers.

    Build it from a Redis client (``RQWorkerPool(redis=Redis())``, or positionally), from
    ``redis_kwargs`` for ``redis.Redis(**redis_kwargs)``, or from a URL with
    :meth:`from_url` (``rq://host:6379/0?queue=ml&timeout=600``). With none of them it uses
    ``Redis()`` (localhost:6379, database 0).

    - ``queue``: the queue's name (default ``"chariots"``; also ``queue_kwargs["name"]``);
      ``queue_kwargs`` go to ``rq.Queue`` (such as ``is_async=False``), but the serializer is
      always JSON and the connection is ``redis``;
    - ``timeout``: seconds a job may run when its options give none (default: no limit; RQ's
      own default of 180 s would kill long trainings); ``queue_kwargs["default_timeout"]`` too;
    - ``result_ttl``, ``failure_ttl``: seconds RQ keeps its record of a finished or failed job
      (RQ's defaults otherwise; a job's ``ttl`` option sets both). The chariots job store keeps
      its own record by its own rules;
    - ``priorities``: the priority levels that get a queue each (default -10 to 10); workers
      listen to them highest first, and a job goes to the queue of the highest level not above
      its priority (the lowest level for priorities below every level);
    - ``worker_options``: how this pool's workers run (:class:`WorkerOptions`, or a mapping).

    What a job's options ask is done by RQ itself: ``timeout`` is RQ's job timeout (a forking
    worker kills the work horse), ``retries`` and ``retry_interval`` are RQ's ``Retry``,
    ``delay`` schedules it (``enqueue_at`` the end of the delay; RQ's scheduler, run by the
    workers, starts it), ``priority`` picks the queue. RQ's schedule counts whole seconds, so a
    delay or retry interval is rounded up (a job never starts early; it may start up to about two
    seconds late). :meth:`cancel` cancels a queued RQ job and stops a running one
    (``send_stop_job_command``); a job whose worker died is found by RQ's registry cleanup and
    marked ``lost`` (or retried, if it has retries left).
    """

    backend: ClassVar[str] = "rq"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.cancel_queued,
            Capability.interrupt_running,
            Capability.timeouts,
            Capability.retries,
            Capability.delay,
            Capability.priority,
        }
    )

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
        redis_kwargs = validated_mapping("redis_kwargs", redis_kwargs)
        queue_kwargs = validated_mapping("queue_kwargs", queue_kwargs)
        if redis is not None and redis_kwargs:
            raise TypeError("give the pool a Redis client or redis_kwargs, not both")
        if redis is not None and not isinstance(redis, Redis):
            raise TypeError(f"redis must be a redis.Redis client, not {type(redis).__name__}")
        self.redis: Redis = redis if redis is not None else Redis(**redis_kwargs)
        reserved = _RESERVED_QUEUE_KWARGS & set(queue_kwargs)
        if reserved:
            raise TypeError(
                f"queue_kwargs cannot set {sorted(reserved)}: the pool's messages are JSON and its "
                "connection is its Redis client"
            )
        name_kwarg = queue_kwargs.pop("name", None)
        if queue is not None and name_kwarg is not None and queue != name_kwarg:
            raise TypeError(
                f"two queue names given: queue={queue!r}, queue_kwargs name={name_kwarg!r}"
            )
        self.queue_name: str = queue or name_kwarg or DEFAULT_QUEUE
        if not isinstance(self.queue_name, str) or not self.queue_name.strip():
            raise RQURLError(f"a queue name is a non-empty string, not {self.queue_name!r}")
        default_timeout = queue_kwargs.pop("default_timeout", None)
        if timeout is None and default_timeout is not None:
            timeout = default_timeout
        self.timeout = check_seconds("timeout", timeout)
        self.result_ttl = check_seconds("result_ttl", result_ttl)
        self.failure_ttl = check_seconds("failure_ttl", failure_ttl)
        self.priorities: tuple[int, ...] = parse_priorities(priorities)
        if worker_options is None:
            worker_options = WorkerOptions()
        elif isinstance(worker_options, Mapping):
            worker_options = WorkerOptions().replace(**worker_options)
        self.worker_options: WorkerOptions = worker_options
        self._queue_kwargs = queue_kwargs
        self.queues: list[Queue] = [
            Queue(
                self.queue_name_for(level),
                connection=self.redis,
                serializer=JSONSerializer,
                **queue_kwargs,
            )
            for level in self.priorities
        ]
        self._queues_by_level = dict(zip(self.priorities, self.queues, strict=True))
        self._embedded: EmbeddedWorkers | None = None
        self._embedded_lock = threading.Lock()
        self.url: str | None = None

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_url(cls, url: str) -> RQWorkerPool:
        """``rq://[user:password@]host[:port][/db]``, ``rq+rediss://…`` (TLS), ``rq+unix:///path
        /to/redis.sock?db=0``, with query parameters for the pool (``queue``, ``timeout``,
        ``result_ttl``, ``failure_ttl``, ``priorities`` as ``-2..2`` or ``0,5,10``), for its
        workers (``fork``, ``worker_ttl``, ``job_monitoring_interval``, ``maintenance_interval``,
        ``abandoned_after``, ``logging_level``) and for Redis (``socket_timeout``, …)."""
        parsed = parse_url(url)
        try:
            redis = Redis.from_url(parsed.redis_url)
        except ValueError as error:
            raise RQURLError(f"cannot connect the pool to {safe_url(url)!r}: {error}") from None
        pool = cls(redis, **parsed.pool_kwargs)
        pool.url = url
        return pool

    def attach(self, app: PipelinesServer) -> None:
        """Nothing to set up: RQ's workers find the app by the name in each message."""

    # -- queues ---------------------------------------------------------------------------------

    @property
    def queue_names(self) -> list[str]:
        """The pool's queues, highest priority first (the order its workers listen in)."""
        return [queue.name for queue in self.queues]

    def queue_name_for(self, level: int) -> str:
        """The queue of priority level ``level``: the pool's queue name for 0, else
        ``<name>:p+<level>`` or ``<name>:p-<level>``."""
        return self.queue_name if level == 0 else f"{self.queue_name}:p{level:+d}"

    def queue_for(self, priority: int) -> Queue:
        """The queue a job of this priority goes to."""
        for level in self.priorities:  # highest first
            if level <= priority:
                return self._queues_by_level[level]
        return self.queues[-1]

    # -- jobs -----------------------------------------------------------------------------------

    def submit(self, message: JobMessage) -> str | None:
        """Enqueue an RQ job naming :func:`chariots_rq.task.run_message` with the message as
        its one argument (JSON text); returns RQ's status (``queued``, or ``scheduled``)."""
        options = message.options
        queue = self.queue_for(options.priority)
        timeout = options.timeout if options.timeout is not None else self.timeout
        result_ttl = options.ttl if options.ttl is not None else self.result_ttl
        failure_ttl = options.ttl if options.ttl is not None else self.failure_ttl
        enqueue_kwargs: dict[str, Any] = {
            "job_id": message.job_id,
            "job_timeout": -1 if timeout is None else rq_seconds(timeout),
            "description": f"chariots job {message.job_id}: {message.app}/{message.pipeline}",
            "on_failure": Callback(task.ON_FAILURE),
            "on_stopped": Callback(task.ON_STOPPED),
        }
        if result_ttl is not None:
            enqueue_kwargs["result_ttl"] = rq_seconds(result_ttl)
        if failure_ttl is not None:
            enqueue_kwargs["failure_ttl"] = rq_seconds(failure_ttl)
        if options.retries:
            # RQ schedules a retry in whole seconds, truncated: one more second makes the
            # interval a floor, never cut short
            interval = rq_seconds(options.retry_interval) + 1 if options.retry_interval else 0
            enqueue_kwargs["retry"] = Retry(max=options.retries, interval=interval)
        text = message.to_json()
        if options.delay:
            # RQ's schedule counts whole seconds (it truncates): round the start up, so that
            # the job never starts before its delay is over
            start = datetime.fromtimestamp(math.ceil(time.time() + options.delay), timezone.utc)
            job = queue.enqueue_at(start, task.RUN_MESSAGE, text, **enqueue_kwargs)
        else:
            job = queue.enqueue(task.RUN_MESSAGE, text, **enqueue_kwargs)
        return str(job.get_status(refresh=False).value)

    def cancel(self, job_id: str) -> bool:
        """Cancel the RQ job if it has not started (it leaves its queue, or the schedule), stop
        it if it runs (``send_stop_job_command``: its worker kills the work horse, and the job
        ends ``cancelled``). ``False`` when RQ has no such job or it has finished."""
        try:
            job = RQJob.fetch(job_id, connection=self.redis, serializer=JSONSerializer)
        except NoSuchJobError:
            return False
        status = job.get_status(refresh=False)
        try:
            if status in _NOT_STARTED:
                job.cancel()
                return True
            if status == RQJobStatus.STARTED:
                send_stop_job_command(self.redis, job_id, serializer=JSONSerializer)
                return True
        except InvalidJobOperation:
            return False  # it moved on meanwhile (started, finished, cancelled)
        return False

    # -- workers --------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        """RQ workers alive and listening on any of this pool's queues (not the other workers
        of the Redis server). A worker killed outright counts until its registration expires
        (``worker_ttl``)."""
        keys: set[str] = set()
        with self.redis.pipeline(transaction=False) as pipeline:
            for name in self.queue_names:
                pipeline.smembers(WORKERS_BY_QUEUE_KEY % name)
            for members in pipeline.execute():
                keys.update(_text(member) for member in members)
        if not keys:
            return 0
        ordered = sorted(keys)
        with self.redis.pipeline(transaction=False) as pipeline:
            for key in ordered:
                pipeline.exists(key)
                pipeline.hexists(key, "death")
            answers = pipeline.execute()
        return sum(
            1 for index in range(len(ordered)) if answers[2 * index] and not answers[2 * index + 1]
        )

    @property
    def embedded_workers(self) -> EmbeddedWorkers:
        """The worker processes :meth:`start_workers` forked from this process."""
        with self._embedded_lock:
            if self._embedded is None:
                self._embedded = EmbeddedWorkers(self)
            return self._embedded

    def start_workers(
        self, n: int = 1, *, worker_options: WorkerOptions | Mapping[str, Any] | None = None
    ) -> None:
        """Fork ``n`` RQ workers from this process (they run the apps registered here); returns
        once they are registered. ``worker_options`` overrides the pool's for these workers
        (embedded workers log at WARNING unless told otherwise)."""
        options = self._options_for(worker_options, embedded=True)
        self.embedded_workers.start(n, options)

    def stop_workers(self, timeout: float = 30.0) -> None:
        """Stop the workers :meth:`start_workers` started: each finishes its job in hand within
        ``timeout`` seconds, or is stopped cold (its job killed and marked ``lost``)."""
        with self._embedded_lock:
            embedded = self._embedded
        if embedded is not None:
            embedded.stop(timeout)

    def run_worker(self, concurrency: int = 1) -> None:
        """Run RQ workers in the foreground (``chariots worker``): this process is the worker
        when ``concurrency`` is 1, else RQ's ``WorkerPool`` runs that many forked workers. The
        first SIGINT/SIGTERM lets the jobs in hand finish; a second one kills them."""
        run_foreground(self, self.worker_options, concurrency)

    def _options_for(
        self, worker_options: WorkerOptions | Mapping[str, Any] | None, *, embedded: bool
    ) -> WorkerOptions:
        if isinstance(worker_options, WorkerOptions):
            return worker_options
        changes = dict(worker_options or {})
        if embedded and self.worker_options.logging_level == WorkerOptions.logging_level:
            changes.setdefault("logging_level", "WARNING")
        return self.worker_options.replace(**changes) if changes else self.worker_options

    # -- the rest -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the embedded workers, if any, and close the Redis connections."""
        self.stop_workers()
        self.redis.close()

    @property
    def location(self) -> tuple[Any, ...]:
        """Where the pool's jobs go: the Redis server and database, and the queues."""
        kwargs = self.redis.connection_pool.connection_kwargs
        return (
            kwargs.get("host"),
            kwargs.get("port"),
            kwargs.get("path"),
            kwargs.get("db", 0),
            tuple(self.queue_names),
        )

    def describe(self) -> str:
        kwargs = self.redis.connection_pool.connection_kwargs
        if kwargs.get("path"):
            where = f"unix:{kwargs['path']}"
        else:
            where = f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
        levels = len(self.priorities)
        return f"rq pool on redis {where}/{kwargs.get('db', 0)}, queue {self.queue_name!r}" + (
            f" ({levels} priority levels)" if levels > 1 else ""
        )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
