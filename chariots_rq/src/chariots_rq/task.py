"""What RQ runs: one function taking the job's JSON message, and the callbacks RQ calls when a job
is stopped, fails outside the runtime, is abandoned by a dead worker or loses its work horse.

RQ's job holds the name of :func:`run_message` and one argument, the message (JSON text); the
callbacks are named the same way. Everything else (status, result, error, provenance) is
recorded by the core runtime in the app's job store.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from typing import TYPE_CHECKING, Any

from rq.exceptions import AbandonedJobError
from rq.job import get_current_job

from chariots_core.errors import ChariotsError
from chariots_core.jobs import JobMessage, JobStatus, JobStore
from chariots_core.workers import get_app
from chariots_core.workers._runtime import run_job

if TYPE_CHECKING:
    from types import TracebackType

    from redis import Redis
    from rq.job import Job as RQJob

logger = logging.getLogger(__name__)

#: the names RQ's job records for the function and its callbacks
RUN_MESSAGE = "chariots_rq.task.run_message"
ON_FAILURE = "chariots_rq.task.on_failure"
ON_STOPPED = "chariots_rq.task.on_stopped"


class JobFailed(ChariotsError):
    """Raised to RQ when the job failed: RQ files it as failed, and retries it when the job has
    retries left (RQ's ``Retry``). The job's error is in its record, not in this exception."""


#: the pid of the RQ worker process this process runs jobs for (set in a forked work horse)
rq_worker_pid: int | None = None


def worker_id(rq_worker_name: str | None) -> str:
    """The chariots worker id of a run inside the RQ worker ``rq_worker_name``: its host, the
    RQ worker's pid (not its work horse's: the worker is what lives and dies) and the RQ
    worker's name, which the callbacks match."""
    pid = rq_worker_pid or os.getpid()
    return f"{socket.gethostname()}:{pid}:rq-{rq_worker_name or 'none'}"


def run_message(message_json: str) -> dict[str, Any]:
    """Run one delivery of a chariots job (the function RQ's job names)."""
    rq_job = get_current_job()
    outcome = run_job(
        message_json,
        worker_id(None if rq_job is None else rq_job.worker_name),
        native_status="started",
    )
    status = None if outcome.status is None else outcome.status.value
    if outcome.retry:
        raise JobFailed(f"job {outcome.job_id} failed and will be retried: {_reason(outcome)}")
    if outcome.ran and outcome.status is JobStatus.failed:
        if rq_job is not None:
            # the runtime's word is final (no retries left, or an error retrying cannot mend):
            # RQ must not run it again
            rq_job.retries_left = 0
        raise JobFailed(f"job {outcome.job_id} failed: {_reason(outcome)}")
    return {"job_id": outcome.job_id, "ran": outcome.ran, "status": status}


def on_failure(
    rq_job: RQJob,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    tb: TracebackType | None,
) -> None:
    """RQ's failure callback: in the horse when :func:`run_message` raised, in a cleaning worker
    when the job was abandoned (its worker died without a word)."""
    if exc_type is not None and issubclass(exc_type, JobFailed):
        return  # the runtime recorded it
    found = _job_store(rq_job)
    if found is None:
        return
    store, job_id = found
    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        if store.mark_lost(job_id, native_status="abandoned"):
            logger.warning("RQ found job %s abandoned by its worker: marked lost", job_id)
        return
    error = {
        "type": getattr(exc_type, "__name__", "Error"),
        "message": str(exc_value),
        "traceback": "".join(traceback.format_exception(exc_type, exc_value, tb))
        if exc_type is not None and exc_value is not None
        else None,
    }
    # a failure around the runtime rather than in the job: RQ retries it if it can
    status = JobStatus.queued if rq_job.should_retry else JobStatus.failed
    finished = _finish_running(store, job_id, rq_job.worker_name, status, error)
    if not finished and status is JobStatus.failed:
        store.fail_unstarted(job_id, error)


def on_stopped(rq_job: RQJob, connection: Redis) -> None:
    """RQ's stopped callback (in the worker whose horse it killed on ``send_stop_job_command``):
    the job ends ``cancelled``."""
    found = _job_store(rq_job)
    if found is None:
        return
    store, job_id = found
    error: dict[str, str | None] = {
        "type": "JobCancelled",
        "message": f"job {job_id} was stopped by its RQ worker (send_stop_job_command)",
        "traceback": None,
    }
    _finish_running(store, job_id, rq_job.worker_name, JobStatus.cancelled, error)


def on_work_horse_killed(rq_job: RQJob, retpid: int, ret_val: int, rusage: Any) -> None:
    """The forking worker's handler for a work horse that died on its own (killed, out of
    memory): the job is ``lost``; RQ runs it again if it has retries left."""
    found = _job_store(rq_job)
    if found is None:
        return
    store, job_id = found
    reason = f"work horse died (wait status {ret_val})"
    if store.mark_lost(job_id, native_status="horse died"):
        logger.warning("job %s: %s, marked lost", job_id, reason)


def mark_lost(rq_job: RQJob, native_status: str) -> bool:
    """Mark the job lost now (a worker stopping cold kills the job in hand)."""
    found = _job_store(rq_job)
    if found is None:
        return False
    store, job_id = found
    return store.mark_lost(job_id, native_status=native_status)


def _finish_running(
    store: JobStore,
    job_id: str,
    rq_worker_name: str | None,
    status: JobStatus,
    error: dict[str, str | None],
) -> bool:
    """Record the end of the run the record says is running, if it is the RQ worker
    ``rq_worker_name``'s (any run when the name is not known: a forking worker's copy of the job
    does not have it)."""
    try:
        job = store.get(job_id)
    except LookupError:
        return False
    if job.status is not JobStatus.running:
        return False
    if rq_worker_name is not None and not (job.worker_id or "").endswith(f":rq-{rq_worker_name}"):
        return False
    assert job.worker_id is not None
    return store.finish(job_id, job.worker_id, status, error=error, progress=job.progress)


def _job_store(rq_job: RQJob) -> tuple[JobStore, str] | None:
    """The job store of the app the job's message names, and the job's id."""
    try:
        message = JobMessage.from_json(rq_job.args[0])
        app = get_app(message.app)
    except Exception as error:
        logger.error("RQ job %s: cannot find its chariots job: %s", rq_job.id, error)
        return None
    store = app.job_store
    if store is None:  # pragma: no cover - apps with a pool have a job store
        return None
    return store, message.job_id


def _reason(outcome: Any) -> str:
    error = outcome.error or {}
    return f"{error.get('type')}: {error.get('message')}"
