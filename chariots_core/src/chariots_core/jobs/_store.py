"""`JobStore`: the durable records of jobs, shared by every server and worker of an app."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from chariots_core.database import Database, utc_now
from chariots_core.errors import JobExpired, JobNotFound
from chariots_core.jobs import _statements as sql
from chariots_core.jobs._integrity import digest_of
from chariots_core.jobs._job import Job
from chariots_core.jobs._message import JobMessage, JobOptions
from chariots_core.jobs._models import JobRecord, JobTombstone
from chariots_core.jobs._page import COUNT_AHEAD, JobPage
from chariots_core.jobs._status import FINISHED, JobStatus

#: seconds without a heartbeat after which a running job's worker is taken for dead
DEFAULT_HEARTBEAT_TIMEOUT = 30.0
#: seconds a finished job's record is kept when its options do not say
DEFAULT_TTL = 7 * 24 * 3600.0

#: writes rows of its own in the transaction that records a new job, given the transaction's
#: connection and the job's message (see :meth:`JobStore.write_with_records`)
CompanionWriter = Callable[[Connection, JobMessage], None]

_FINISHED_VALUES = [status.value for status in FINISHED]
#: the doorbell channel rung when jobs end
ENDS_CHANNEL = "ends"
#: the error type of a run that ended without its worker (it died, or stopped with the job)
WORKER_LOST = "WorkerLost"


@dataclass(frozen=True)
class QueuedJobCheck:
    """A queued job the core should check on: due to be sent again (its worker died), or queued
    long enough that its message may be gone from the broker."""

    id: str
    message: str | None
    resubmits: int
    resend: bool
    due_at: datetime


class JobStore:
    """Creates, claims, updates and answers for jobs; the record is the truth about a job.

    Every state change is one conditional ``UPDATE``, so that two workers (or a worker and a
    canceller) racing on a job cannot both win.

    A run whose worker died (its heartbeat is older than ``heartbeat_timeout``, or its process
    was seen to die) counts as one of the job's runs: a job with runs left (its ``retries``) goes
    back to ``queued``, with the reason as its error and its message due to be sent again (see
    :func:`chariots_core.workers.recover_jobs`); a job with none left ends ``lost``, for good.
    A queued job unclaimed for ``stuck_after`` seconds past its due time is checked against its
    broker by the same recovery.
    """

    #: seconds between a waiter's looks at a record, at first and at most (should a ring of the
    #: database's doorbell not come)
    poll_first = 0.005
    poll_max = 0.1
    #: whether the core's recovery sends a queued job's message again (a dead worker's job, or
    #: one its broker no longer holds: see :func:`chariots_core.workers.recover_jobs`). Off, it
    #: still ends dead workers' runs, but only the broker delivers: the conformance suite turns
    #: it off to prove that a pool declaring ``redelivery`` gets a dead worker's message back.
    resend_messages = True

    def __init__(
        self,
        database: Database | str,
        *,
        heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
        default_ttl: float = DEFAULT_TTL,
        stuck_after: float | None = None,
    ) -> None:
        self.database = Database(database) if isinstance(database, str) else database
        self.heartbeat_timeout = heartbeat_timeout
        self.default_ttl = default_ttl
        #: seconds a due job may stay queued before the core asks its broker whether it still
        #: holds the job's message (by default four heartbeat timeouts)
        self.stuck_after = 4 * heartbeat_timeout if stuck_after is None else stuck_after
        self._warm = False
        # by the id of their owner (the pool that queues the jobs), which they keep alive
        self._companions: dict[int, CompanionWriter] = {}

    @contextmanager
    def _session(self, *, readonly: bool = False) -> Iterator[Session]:
        self.database.ensure_created()
        with self.database.session(readonly=readonly) as session:
            yield session

    @contextmanager
    def _connection(self, *, readonly: bool = False) -> Iterator[Connection]:
        self.database.ensure_created()
        with self.database.connection(readonly=readonly) as connection:
            yield connection

    # -- submit side ------------------------------------------------------------------------

    def create(
        self,
        app: str,
        pipeline: str,
        options: JobOptions | None = None,
        job_id: str | None = None,
        message_digest: str | None = None,
        message: str | None = None,
        *,
        native_status: str | None = None,
    ) -> Job:
        """Record a new ``queued`` job and return it, with the digest of its message (which a
        worker's message must match) and the message (which the core sends again when it must:
        see :func:`chariots_core.workers.recover_jobs`), in one write transaction."""
        return self._insert(
            app, pipeline, options, job_id, message_digest, message, native_status, None
        )

    def create_for(
        self, message: JobMessage, *, native_status: str | None = None, queued_by: object = None
    ) -> Job:
        """Record the new ``queued`` job that ``message`` carries (its digest and its text kept,
        see :meth:`create`), in one write transaction with the rows of the companion writer that
        ``queued_by`` (the pool that will queue the job) registered, if any
        (:meth:`write_with_records`)."""
        body = message.canonical_body()
        writer = None if queued_by is None else self._companions.get(id(queued_by))
        return self._insert(
            message.app,
            message.pipeline,
            message.options,
            message.job_id,
            digest_of(body),
            body.decode(),
            native_status,
            None if writer is None else (writer, message),
        )

    def write_with_records(self, owner: object, writer: CompanionWriter | None) -> None:
        """Have ``writer`` write its rows in the transaction that records each new job that
        ``owner`` queues (:meth:`create_for` with ``queued_by=owner``; ``None``: no more). A
        queue that lives in this database queues a job so, in the one write that records it:
        the embedded pool's way. ``writer`` keeps its owner alive (a bound method): remove it
        when the owner is done."""
        if writer is None:
            self._companions.pop(id(owner), None)
        else:
            self._companions[id(owner)] = writer

    def _insert(
        self,
        app: str,
        pipeline: str,
        options: JobOptions | None,
        job_id: str | None,
        message_digest: str | None,
        message: str | None,
        native_status: str | None,
        companion: tuple[CompanionWriter, JobMessage] | None,
    ) -> Job:
        options = options or JobOptions()
        now = utc_now()
        values: dict[str, Any] = dict(
            id=job_id or uuid.uuid4().hex,
            app=app,
            pipeline=pipeline,
            status=JobStatus.queued.value,
            attempts=0,
            options=options.to_json(),
            submitted_at=now,
            cancel_requested=False,
            message_digest=message_digest,
            message=message,
            max_attempts=1 + options.retries,
            queued_at=now,
            resubmits=0,
            resend=False,
            native_status=native_status,
        )
        written = {key: value for key, value in values.items() if value is not None}
        with self._connection() as connection:
            connection.execute(sql.INSERT, written)
            if companion is not None:
                write, job_message = companion
                write(connection, job_message)
        return Job.from_record(_record_of(values.get(key) for key in _COLUMN_KEYS))

    def get(self, job_id: str) -> Job:
        """The job as it stands; ``JobNotFound`` (404) or ``JobExpired`` (410) otherwise.

        A read takes no write lock unless it finds work to do: a running job whose heartbeat is
        stale is queued again or ends ``lost`` (see the class), a record past its TTL is removed
        (leaving a tombstone).
        """
        with self._connection(readonly=True) as connection:
            row = connection.execute(sql.SELECT, {"p_job": job_id}).first()
            if row is None:
                if connection.execute(sql.SELECT_TOMBSTONE, {"p_job": job_id}).first():
                    raise JobExpired(f"job {job_id!r} has expired: its record was removed")
                raise JobNotFound(f"no job with id {job_id!r}")
        job = Job.from_record(_record_of(row))
        now = utc_now()
        if job.expires_at is not None and job.expires_at <= now:
            with self._session() as session:
                expired = session.get(JobRecord, job_id)
                if expired is not None:
                    self._bury(session, expired)
            raise JobExpired(f"job {job_id!r} has expired: its record was removed")
        if job.status is JobStatus.running and self.is_stale(job.heartbeat_at, now):
            self._end_stale_runs(job_id)
            return self.get(job_id)
        return job

    def is_stale(self, heartbeat_at: datetime | None, now: datetime | None = None) -> bool:
        """Whether a run last beating at ``heartbeat_at`` has a dead worker."""
        now = utc_now() if now is None else now
        return heartbeat_at is None or heartbeat_at < now - timedelta(
            seconds=self.heartbeat_timeout
        )

    def list_jobs(
        self,
        *,
        app: str | None = None,
        pipeline: str | None = None,
        status: JobStatus | None = None,
        limit: int = 50,
        offset: int = 0,
        count_ahead: int | None = COUNT_AHEAD,
    ) -> JobPage:
        """Jobs, newest submitted first (``id`` breaks ties), and how many match: counted up to
        ``count_ahead`` jobs past the page (``None``: every match, which reads them all), so
        that a page costs the same however many jobs match (see :class:`JobPage`). Each filter
        of an app's jobs has an index that holds them in this order (see ``JobRecord``)."""
        self._upkeep()
        conditions = []
        if app is not None:
            conditions.append(JobRecord.app == app)
        if pipeline is not None:
            conditions.append(JobRecord.pipeline == pipeline)
        if status is not None:
            conditions.append(JobRecord.status == status.value)
        order = (JobRecord.submitted_at.desc(), JobRecord.id.desc())  # an index's, read backwards
        with self._session(readonly=True) as session:
            records = session.scalars(  # one more than the page: is there more?
                select(JobRecord)
                .where(*conditions)
                .order_by(*order)
                .limit(limit + 1)
                .offset(offset)
            ).all()
            jobs = [Job.from_record(record) for record in records[:limit]]
            if len(records) <= limit and (records or offset == 0):  # the last page
                return JobPage(jobs, offset + len(jobs), True, offset, limit)
            bound = None if count_ahead is None else offset + limit + count_ahead
            matches = select(literal_column("1", Integer)).select_from(JobRecord).where(*conditions)
            if bound is not None:  # the first jobs of the listing, one past the bound
                matches = matches.order_by(*order).limit(bound + 1)
            counted = session.scalar(select(func.count()).select_from(matches.subquery()))
        # not fewer than the page showed (jobs removed between the two reads)
        total = max(int(counted or 0), offset + len(jobs) if jobs else 0)
        if bound is not None and total > bound:
            return JobPage(jobs, bound, False, offset, limit)
        return JobPage(jobs, total, True, offset, limit)

    def wait(self, job_id: str, timeout: float, *, tick: Callable[[], object] | None = None) -> Job:
        """The job once it is finished, or as it stands when ``timeout`` seconds have passed
        (``tick`` is called before each look: a server recovers dead workers' jobs there).

        A job that ends in this process (a worker thread, an in-process cancel) wakes the
        waiter at once, and so does one that ends in another process through the database's
        :class:`~chariots_core.database.Doorbell`; without one (or should a ring be lost), the
        end is seen at the next look (every 5 ms at first, growing to 100 ms)."""
        deadline = time.monotonic() + max(0.0, timeout)
        interval = self.poll_first
        self.database.doorbell.listen(ENDS_CHANNEL, _ENDS.notify)
        while True:
            if tick is not None:
                tick()
            seen = _ENDS.count
            job = self.get(job_id)
            remaining = deadline - time.monotonic()
            if job.status.is_finished or remaining <= 0:
                return job
            _ENDS.wait_after(seen, min(interval, remaining))
            interval = min(interval * 1.25, self.poll_max)

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job now; ask a running one to stop at its next node; leave a finished
        one as it is. Returns the job as it then stands."""
        now = utc_now()
        with self._session() as session:
            session.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status == JobStatus.queued.value)
                .values(status=JobStatus.cancelled.value, finished_at=now, cancel_requested=True)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status == JobStatus.running.value)
                .values(cancel_requested=True)
                .execution_options(synchronize_session=False)
            )
            self.database.doorbell.within(session.connection(), ENDS_CHANNEL)
        self._ended()
        return self.get(job_id)

    def warm(self) -> None:
        """Compile the worker side's statements now, once per process: a work horse forked
        afterwards inherits them compiled instead of compiling them for its one job (they run
        on a job id that cannot exist, and change nothing)."""
        if self._warm:
            return
        nobody = "chariots-warm-up"
        for digest in (None, "0" * 64):
            self.claim("", nobody, "started", digest)
        for progress in (None, (0, 1)):
            self.heartbeat("", nobody, progress)
        self.cancel_requested("")
        for native_status in (None, "finished"):
            self.finish(
                "",
                nobody,
                JobStatus.done,
                result=0,
                versions_loaded={},
                versions_saved={},
                progress=(1, 1),
                native_status=native_status,
                options=JobOptions(),
            )
        with contextlib.suppress(JobNotFound):
            self.get("")
        self._warm = True

    def _ended(self) -> None:
        """Jobs ended (their transaction committed): wake the waiters of this process, and ring
        the other processes' (a PostgreSQL ring rode the transaction)."""
        _ENDS.notify()
        self.database.doorbell.after(ENDS_CHANNEL)

    # -- worker side ------------------------------------------------------------------------

    def claim(
        self,
        job_id: str,
        worker_id: str,
        native_status: str | None = None,
        message_digest: str | None = None,
    ) -> Job | None:
        """Take the job for ``worker_id``: queued → running, or a redelivered job whose worker
        died (running with a stale heartbeat) → running again if it has runs left. ``None`` when
        the job must not run: it is cancelled, finished (``lost`` included), claimed by a live
        worker, out of runs, unknown, or its record keeps the digest of another message than
        ``message_digest``."""
        now = utc_now()
        parameters = {
            "p_job": job_id,
            "p_digest": message_digest,
            "p_stale": now - timedelta(seconds=self.heartbeat_timeout),
            "p_worker": worker_id,
            "p_native": native_status,
            "p_now": now,
        }
        anchored = message_digest is not None
        with self._connection() as connection:
            if connection.dialect.update_returning:  # one statement: the record comes back
                row = connection.execute(sql.CLAIM_RETURNING[anchored], parameters).first()
                return None if row is None else Job.from_record(_record_of(row))
            if _rowcount(connection.execute(sql.CLAIM[anchored], parameters)) != 1:
                return None
            row = connection.execute(sql.SELECT, {"p_job": job_id}).first()
            assert row is not None
            return Job.from_record(_record_of(row))

    def heartbeat(
        self, job_id: str, worker_id: str, progress: tuple[int, int] | None = None
    ) -> bool:
        """Say the worker is alive (and how far it is); returns whether a cancel was asked.

        Returns ``True`` as well when the job is no longer this worker's to run.
        """
        parameters: dict[str, Any] = {"p_job": job_id, "p_worker": worker_id, "p_now": utc_now()}
        if progress is not None:
            parameters["p_done"], parameters["p_total"] = progress
        with_progress = progress is not None
        with self._connection() as connection:
            if connection.dialect.update_returning:
                beat = sql.HEARTBEAT_RETURNING[with_progress]
                cancel = connection.execute(beat, parameters).first()
                return True if cancel is None else bool(cancel[0])
            if _rowcount(connection.execute(sql.HEARTBEAT[with_progress], parameters)) != 1:
                return True
            return bool(connection.scalar(sql.SELECT_CANCEL, {"p_job": job_id}))

    def cancel_requested(self, job_id: str) -> bool:
        """Whether a cancel was asked for the job (a read: no write lock)."""
        with self._connection(readonly=True) as connection:
            return bool(connection.scalar(sql.SELECT_CANCEL, {"p_job": job_id}))

    def finish(
        self,
        job_id: str,
        worker_id: str,
        status: JobStatus,
        *,
        result: Any = None,
        error: dict[str, str | None] | None = None,
        versions_loaded: dict[str, str] | None = None,
        versions_saved: dict[str, str] | None = None,
        progress: tuple[int, int] | None = None,
        native_status: str | None = None,
        options: JobOptions | None = None,
    ) -> bool:
        """Record the end of this worker's run (``done``, ``failed``, ``cancelled``, ``lost``;
        ``queued`` for a failed run that will be retried). Returns whether the record took it: a
        worker whose job was taken from it (lost and claimed again) cannot overwrite the new run.
        ``options``: the job's, when the caller has them (spares reading them for the TTL)."""
        now = utc_now()
        values: dict[str, Any] = {
            "status": status.value,
            "heartbeat_at": now,
            "result": result,
            "versions_loaded": versions_loaded,
            "versions_saved": versions_saved,
        }
        if native_status is not None:
            values["native_status"] = native_status
        if error is not None:
            values.update(
                error_type=error.get("type"),
                error_message=error.get("message"),
                error_traceback=error.get("traceback"),
            )
        if progress is not None:
            values["progress_done"], values["progress_total"] = progress
        if status.is_finished:
            values["finished_at"] = now
        elif status is JobStatus.queued:
            values["queued_at"] = now
        with self._connection() as connection:
            if status.is_finished:
                ttl = (
                    options.to_json()
                    if options is not None
                    else connection.scalar(sql.SELECT_OPTIONS, {"p_job": job_id})
                )
                values["expires_at"] = now + timedelta(seconds=self._ttl(ttl))
            given = {column: value for column, value in values.items() if value is not None}
            nulls = tuple(sorted(column for column in values if column not in given))
            statement = sql.finish(tuple(sorted(given)), nulls)
            parameters = {f"v_{column}": value for column, value in given.items()}
            parameters.update(p_job=job_id, p_worker=worker_id)
            took = _rowcount(connection.execute(statement, parameters)) == 1
            if took and status.is_finished:
                self.database.doorbell.within(connection, ENDS_CHANNEL)
        if took and status.is_finished:
            self._ended()
        return took

    def set_native_status(self, job_id: str, native_status: str) -> None:
        """Record what the backend calls a queued job's state (the submitter's view: once a
        worker has claimed the job, the worker's word stands)."""
        with self._session() as session:
            session.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status == JobStatus.queued.value)
                .values(native_status=native_status)
                .execution_options(synchronize_session=False)
            )

    def fail_unstarted(self, job_id: str, error: dict[str, str | None]) -> bool:
        """Fail a job that never ran (its pool refused it, or no worker can run it)."""
        now = utc_now()
        with self._session() as session:
            ttl = session.scalar(select(JobRecord.options).where(JobRecord.id == job_id))
            updated = session.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status == JobStatus.queued.value)
                .values(
                    status=JobStatus.failed.value,
                    finished_at=now,
                    expires_at=now + timedelta(seconds=self._ttl(ttl)),
                    error_type=error.get("type"),
                    error_message=error.get("message"),
                    error_traceback=error.get("traceback"),
                )
                .execution_options(synchronize_session=False)
            )
            took = _rowcount(updated) == 1
            if took:
                self.database.doorbell.within(session.connection(), ENDS_CHANNEL)
        if took:
            self._ended()
        return took

    def worker_gone(
        self, job_id: str, worker_id: str | None, reason: str, native_status: str | None = None
    ) -> JobStatus | None:
        """End a run whose worker is gone (``worker_id``'s run; ``None``: whichever worker's):
        the job is queued again if it has runs left, else it ends ``lost``. Returns the status
        it took, ``None`` if it was not running (or not that worker's)."""
        conditions = [JobRecord.id == job_id, JobRecord.status == JobStatus.running.value]
        if worker_id is not None:
            conditions.append(JobRecord.worker_id == worker_id)
        requeued, lost = self._end_runs_without_worker(conditions, reason, native_status)
        return JobStatus.queued if requeued else JobStatus.lost if lost else None

    def lose_jobs_of(self, worker_prefix: str, native_status: str) -> int:
        """End now the running jobs of the workers whose ids start with ``worker_prefix``
        (``host:pid:``: a worker process that was killed), as :meth:`worker_gone` does; returns
        how many."""
        escaped = worker_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions = [
            JobRecord.status == JobStatus.running.value,
            JobRecord.worker_id.like(f"{escaped}%", escape="\\"),
        ]
        requeued, lost = self._end_runs_without_worker(
            conditions, f"its worker process died ({native_status})", native_status
        )
        return requeued + lost

    def requeue_stale(self) -> tuple[int, int]:
        """End the runs whose worker stopped beating (see the class): how many jobs were queued
        again, and how many ended ``lost``. Writes only when there are some."""
        now = utc_now()
        with self._session(readonly=True) as session:
            stale = session.scalar(
                select(JobRecord.id).where(*self._stale_conditions(now)).limit(1)
            )
        if stale is None:
            return 0, 0
        return self._end_stale_runs(None)

    def _stale_conditions(self, now: datetime) -> list[Any]:
        return [
            JobRecord.status == JobStatus.running.value,
            JobRecord.heartbeat_at < now - timedelta(seconds=self.heartbeat_timeout),
        ]

    def _end_stale_runs(self, job_id: str | None) -> tuple[int, int]:
        conditions = self._stale_conditions(utc_now())
        if job_id is not None:
            conditions.append(JobRecord.id == job_id)
        reason = f"its worker stopped answering (no heartbeat for {self.heartbeat_timeout:g}s)"
        return self._end_runs_without_worker(conditions, reason, None)

    def _end_runs_without_worker(
        self, conditions: list[Any], reason: str, native_status: str | None
    ) -> tuple[int, int]:
        """End the runs matching ``conditions`` (running jobs): a job whose cancel was asked
        ends ``cancelled``, one with runs left is queued again (its message due to be sent
        again), the others end ``lost``; in one transaction."""
        now = utc_now()
        with self._session() as session:
            cancelled = session.execute(  # a cancel was asked: the run is over, and so is the job
                update(JobRecord)
                .where(*conditions, JobRecord.cancel_requested.is_(True))
                .values(
                    status=JobStatus.cancelled.value,
                    native_status=native_status,
                    finished_at=now,
                    resend=False,
                )
                .execution_options(synchronize_session=False)
            )
            requeued = session.execute(
                update(JobRecord)
                .where(*conditions, sql.has_runs_left())
                .values(
                    status=JobStatus.queued.value,
                    native_status=native_status,
                    queued_at=now,
                    resend=True,
                    error_type=WORKER_LOST,
                    error_message=f"{reason}; the job is queued to run again",
                    error_traceback=None,
                )
                .execution_options(synchronize_session=False)
            )
            lost = session.execute(
                update(JobRecord)
                .where(*conditions)
                .values(
                    status=JobStatus.lost.value,
                    native_status=native_status,
                    finished_at=now,
                    resend=False,
                    error_type=WORKER_LOST,
                    error_message=f"{reason}; the job has no run left (see its retries)",
                    error_traceback=None,
                )
                .execution_options(synchronize_session=False)
            )
            ended = _rowcount(cancelled) + _rowcount(lost) > 0
            if ended:
                self.database.doorbell.within(session.connection(), ENDS_CHANNEL)
        if ended:
            self._ended()
        return _rowcount(requeued), _rowcount(lost)

    # -- recovery: queued jobs whose message may be gone ----------------------------------------

    def queued_to_check(self, limit: int = 100, *, stuck: bool = True) -> list[QueuedJobCheck]:
        """Queued jobs due to be sent again, and (with ``stuck``) those queued ``stuck_after``
        seconds past their due time (a delayed job is due at its delay's end), oldest first."""
        now = utc_now()
        stuck_before = now - timedelta(seconds=self.stuck_after)
        with self._session(readonly=True) as session:
            rows = session.execute(
                select(
                    JobRecord.id,
                    JobRecord.message,
                    JobRecord.resubmits,
                    JobRecord.resend,
                    JobRecord.queued_at,
                    JobRecord.submitted_at,
                    JobRecord.options,
                )
                .where(
                    JobRecord.status == JobStatus.queued.value,
                    JobRecord.cancel_requested.is_(False),
                    or_(JobRecord.resend.is_(True), JobRecord.queued_at < stuck_before)
                    if stuck
                    else JobRecord.resend.is_(True),
                )
                .order_by(JobRecord.queued_at)
                .limit(limit)
            ).all()
        checks = []
        for job_id, message, resubmits, resend, queued_at, submitted_at, options in rows:
            delay = float((options or {}).get("delay") or 0.0)
            due_at = max(queued_at or submitted_at, submitted_at + timedelta(seconds=delay))
            if resend or due_at < stuck_before:
                checks.append(QueuedJobCheck(job_id, message, resubmits or 0, resend, due_at))
        return checks

    def checked(self, job_id: str, resubmits: int) -> None:
        """The job's message is where it should be: check again ``stuck_after`` from now."""
        self._touch_queued(job_id, resubmits, resubmits)

    def take_resend(self, job_id: str, resubmits: int) -> bool:
        """Take the sending again of a queued job's message (one taker wins, if the job is still
        as it was read, with ``resubmits``)."""
        return self._touch_queued(job_id, resubmits, resubmits + 1)

    def _touch_queued(self, job_id: str, seen: int, resubmits: int) -> bool:
        with self._session() as session:
            updated = session.execute(
                update(JobRecord)
                .where(
                    JobRecord.id == job_id,
                    JobRecord.status == JobStatus.queued.value,
                    JobRecord.resubmits == seen,
                )
                .values(queued_at=utc_now(), resend=False, resubmits=resubmits)
                .execution_options(synchronize_session=False)
            )
            return _rowcount(updated) == 1

    def lose_queued(self, job_id: str, reason: str) -> bool:
        """End ``lost`` a queued job that will not run (its message is gone for good)."""
        with self._session() as session:
            updated = session.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status == JobStatus.queued.value)
                .values(
                    status=JobStatus.lost.value,
                    finished_at=utc_now(),
                    resend=False,
                    error_type=WORKER_LOST,
                    error_message=reason,
                    error_traceback=None,
                )
                .execution_options(synchronize_session=False)
            )
            return _rowcount(updated) == 1

    # -- upkeep -----------------------------------------------------------------------------

    #: when this store last looked for expired records and dead workers' runs (monotonic)
    _upkept_at = float("-inf")

    def _upkeep(self) -> None:
        """Bury expired records and end the runs of dead workers, writing only when there are
        some; at most once a second (a quarter of the heartbeat timeout, if less), so that a
        listing pays for the look only now and then: it may show, that long, a record whose TTL
        just ran out or a run whose worker just fell silent (a lookup of the job checks it)."""
        started = time.monotonic()
        if started - self._upkept_at < min(1.0, self.heartbeat_timeout / 4):
            return
        self._upkept_at = started
        now = utc_now()
        with self._session(readonly=True) as session:
            expired = session.scalar(
                select(JobRecord.id).where(JobRecord.expires_at <= now).limit(1)
            )
            stale = session.scalar(
                select(JobRecord.id).where(*self._stale_conditions(now)).limit(1)
            )
        if expired is not None:
            self.purge_expired()
        if stale is not None:
            self._end_stale_runs(None)

    def purge_expired(self) -> int:
        """Remove the records whose TTL ran out, leaving tombstones; returns how many."""
        now = utc_now()
        with self._session() as session:
            records = session.scalars(
                select(JobRecord).where(JobRecord.expires_at <= now).limit(500)
            ).all()
            for record in records:
                self._bury(session, record)
            return len(records)

    @staticmethod
    def _bury(session: Session, record: JobRecord) -> None:
        session.merge(
            JobTombstone(
                id=record.id, app=record.app, pipeline=record.pipeline, expired_at=utc_now()
            )
        )
        session.execute(delete(JobRecord).where(JobRecord.id == record.id))

    def _ttl(self, options: dict[str, Any] | None) -> float:
        ttl = (options or {}).get("ttl")
        return float(ttl) if ttl is not None else self.default_ttl

    def __repr__(self) -> str:
        return f"JobStore({self.database!r})"


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


_COLUMN_KEYS = tuple(column.key for column in sql.COLUMNS)


def _record_of(row: Any) -> JobRecord:
    """A detached record built from a row of :data:`sql.COLUMNS` (read only: never added to a
    session)."""
    record = JobRecord()
    for key, value in zip(_COLUMN_KEYS, row, strict=True):
        setattr(record, key, value)
    return record


class _Ends:
    """Jobs ending in this process: a waiter sleeps until the next end, or its look is due."""

    def __init__(self) -> None:
        self.count = 0
        self._condition = threading.Condition()

    def notify(self) -> None:
        with self._condition:
            self.count += 1
            self._condition.notify_all()

    def wait_after(self, seen: int, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds unless a job ended since ``seen`` was read."""
        with self._condition:
            if self.count == seen:
                self._condition.wait(timeout)


_ENDS = _Ends()
