"""What RQ runs: :func:`run_message`, whose one argument is the job's JSON message, and the
callbacks RQ calls when a job is stopped, fails outside the runtime, is abandoned by a dead
worker or loses its work horse. The core runtime records everything else in the job store."""

from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING, Any

from rq.exceptions import AbandonedJobError
from rq.job import get_current_job

from chariots_core.errors import ChariotsError, JobCancelled, WorkerStopped, WorkHorseDied
from chariots_core.jobs import JobMessage, JobStatus
from chariots_core.workers import fail_run, run_job

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


#: what RQ calls the states a run ends in
ENDS = {JobStatus.done: "finished", JobStatus.failed: "failed", JobStatus.cancelled: "stopped"}
#: the pid of the RQ worker process this process runs jobs for (set in a forked work horse)
rq_worker_pid: int | None = None


def worker_id(rq_worker_name: str | None) -> str:
    """The chariots worker id of a run inside the RQ worker ``rq_worker_name``: its host, the
    RQ worker's pid (not its work horse's: the worker is what lives and dies) and its name."""
    return f"{socket.gethostname()}:{rq_worker_pid or os.getpid()}:rq-{rq_worker_name or 'none'}"


def refused(rq_job: RQJob) -> bool:
    """Whether the RQ job names other code than chariots' task and callbacks (anyone who can
    write to the queue can name any function): such a job is logged and removed."""
    callbacks = (rq_job._success_callback_name, rq_job._failure_callback_name)
    ours = rq_job.func_name == RUN_MESSAGE and callbacks in ((None, None), (None, ON_FAILURE))
    if ours and rq_job._stopped_callback_name in (None, ON_STOPPED):
        return False
    logger.error(
        "refused RQ job %s (it names %r, not chariots' task): removed", rq_job.id, rq_job.func_name
    )
    rq_job.delete()
    return True


def run_message(message_json: str) -> dict[str, Any]:
    """Run one delivery of a chariots job (the function RQ's job names)."""
    rq_job = get_current_job()
    name = None if rq_job is None else rq_job.worker_name
    outcome = run_job(
        message_json, worker_id(name), native_status="started", ended_native_status=ENDS
    )
    if outcome.retry:
        raise JobFailed(f"job {outcome.job_id} failed and will be retried: {outcome.error_text}")
    if outcome.ran and outcome.status is JobStatus.failed:
        if rq_job is not None:
            rq_job.retries_left = 0  # the runtime's word is final: RQ must not run it again
        raise JobFailed(f"job {outcome.job_id} failed: {outcome.error_text}")
    # a delivery not to run (RQ delivers a job once, or again on its own Retry, and starts a
    # delayed one when due): nothing to hand back
    status = None if outcome.status is None else outcome.status.value
    return {"job_id": outcome.job_id, "ran": outcome.ran, "status": status}


def on_failure(
    rq_job: RQJob,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    tb: TracebackType | None,
) -> None:
    """RQ's failure callback: in the horse when :func:`run_message` raised, in the worker when
    it killed the horse (the job's timeout), in a cleaning worker when the job was abandoned."""
    if exc_type is not None and issubclass(exc_type, JobFailed):
        return  # the runtime recorded it
    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        error = WorkerStopped(f"RQ found job {rq_job.id} abandoned by its worker")
        _end(rq_job, error, own_run=False, native_status="abandoned")
        return
    _end(rq_job, exc_value if exc_value is not None else ChariotsError("the RQ job failed"))


def on_stopped(rq_job: RQJob, connection: Redis) -> None:
    """RQ's stopped callback (in the worker whose horse it killed on ``send_stop_job_command``):
    the job ends ``cancelled``."""
    _end(
        rq_job,
        JobCancelled(
            f"job {rq_job.id} was stopped by its RQ worker (a cancel: send_stop_job_command)"
        ),
    )


def on_work_horse_killed(rq_job: RQJob, retpid: int, ret_val: int, rusage: Any) -> None:
    """The forking worker's handler for a work horse that died on its own (killed, out of
    memory): the run fails, and runs again if the job has retries left."""
    _end(rq_job, WorkHorseDied(f"the work horse of job {rq_job.id} died (wait status {ret_val})"))


def _end(
    rq_job: RQJob, error: BaseException, *, own_run: bool = True, native_status: str | None = None
) -> None:
    """End the run from outside the job: this RQ worker's run (or, unknown, the record's)."""
    name = rq_job.worker_name
    try:
        message = JobMessage.from_json(rq_job.args[0])
        # an abandoned job's run is the one whose worker id names the dead RQ worker
        suffix = None if own_run or name is None else f":rq-{name}"
        owner = None if name is None or not own_run else worker_id(name)
        fail_run(message, owner, error, native_status=native_status, worker_suffix=suffix)
    except Exception:
        logger.exception("RQ job %s: could not record its end", rq_job.id)
