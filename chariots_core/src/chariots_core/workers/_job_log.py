"""The one line every worker logs for each run of a job, whatever its pool.

``chariots_core.workers.jobs`` at INFO: ``job <id> app=<app> pipeline=<name> attempt=<n>: done
in 0.153s``; a failed run logs at ERROR with the traceback of the pipeline's own error (the one
recorded in the job's ``error``), never the pool's internals.
"""

from __future__ import annotations

import logging
import time

from chariots_core.jobs import Job, JobStatus
from chariots_core.workers._outcome import RunOutcome

logger = logging.getLogger("chariots_core.workers.jobs")


def log_job_run(job: Job, outcome: RunOutcome, started: float) -> None:
    """Log the run of ``job`` (claimed at ``time.monotonic()`` ``started``) that ended with
    ``outcome``."""
    seconds = time.monotonic() - started
    status = outcome.status.value if outcome.status is not None else outcome.action.value
    if outcome.retry:
        status = "failed, to be retried"
    line = (
        f"job {job.id} app={job.app} pipeline={job.pipeline} attempt={job.attempts}: "
        f"{status} in {seconds:.3f}s"
    )
    error = outcome.error or {}
    if outcome.status in (JobStatus.done, JobStatus.cancelled) or not error:
        logger.info("%s", line)
        return
    told = f"{line}: {outcome.error_text}"
    traceback = str(error.get("traceback") or "").rstrip()
    level = logging.ERROR if outcome.status is JobStatus.failed else logging.WARNING
    if traceback:
        logger.log(level, "%s\n%s", told, traceback)
    else:
        logger.log(level, "%s", told)
