"""Process mode: each job runs in a forked work horse that its worker kills at the job's timeout.

The horse hands the message to the runtime as a thread-mode worker would, under its worker's id,
and sends the outcome back through a pipe. A horse that runs past ``options.timeout`` is killed
and its worker records the job ``failed`` with a ``JobTimeout`` error; a horse that dies on its
own is recorded ``failed`` with a ``WorkHorseDied`` error.
"""

from __future__ import annotations

import os
import signal
import traceback
from multiprocessing.connection import Connection

from chariots_core.errors import ChariotsError
from chariots_core.jobs import JobMessage, JobStatus
from chariots_core.workers._apps import get_app
from chariots_core.workers._runtime import RunOutcome, run_job
from chariots_core.workers.embedded._forking import fork_context, when_orphaned


class WorkHorseFailed(ChariotsError):
    """The runtime raised in the work horse (not the job: the job's errors are recorded)."""


def run_in_work_horse(message: JobMessage, worker_id: str) -> RunOutcome:
    """Run the message in a forked process, killed if it runs past ``message.options.timeout``."""
    context = fork_context()
    receiver, sender = context.Pipe(duplex=False)
    horse = context.Process(
        target=_work_horse,
        args=(message, worker_id, sender, os.getpid()),
        name=f"chariots-work-horse-{message.job_id}",
    )
    try:
        horse.start()
        sender.close()
        horse.join(message.options.timeout)
        if horse.is_alive():
            horse.kill()
            horse.join()
            return _record_failure(
                message,
                worker_id,
                "JobTimeout",
                f"job {message.job_id} ran past its timeout of {message.options.timeout:g}s: "
                "its work horse was killed",
            )
        if receiver.poll():
            answer = receiver.recv()
            if isinstance(answer, RunOutcome):
                return answer
            raise WorkHorseFailed(f"the work horse of job {message.job_id} failed:\n{answer}")
        return _record_failure(
            message,
            worker_id,
            "WorkHorseDied",
            f"the work horse of job {message.job_id} died ({_exit_reason(horse.exitcode)})",
        )
    finally:
        receiver.close()


def _work_horse(message: JobMessage, worker_id: str, sender: Connection, parent_pid: int) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the worker stops gracefully, so
    # its horse finishes the job; one whose worker died goes too (its job is then lost)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    when_orphaned(parent_pid, lambda: os._exit(1))
    try:
        answer: RunOutcome | str = run_job(message, worker_id)
    except BaseException:
        answer = traceback.format_exc()
    sender.send(answer)
    sender.close()


def _record_failure(message: JobMessage, worker_id: str, kind: str, text: str) -> RunOutcome:
    error: dict[str, str | None] = {"type": kind, "message": text, "traceback": None}
    store = get_app(message.app).job_store
    recorded = store is not None and (
        store.finish(message.job_id, worker_id, JobStatus.failed, error=error)
        # a horse killed before it claimed the job
        or store.fail_unstarted(message.job_id, error)
    )
    return RunOutcome(
        message.job_id, ran=True, status=JobStatus.failed if recorded else None, error=error
    )


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"
