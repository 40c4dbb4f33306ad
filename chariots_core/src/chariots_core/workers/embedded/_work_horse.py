"""Process mode: each job runs in a forked work horse that its worker kills at the job's timeout.

The horse hands the message to the runtime as a thread-mode worker would, under its worker's id,
and sends the outcome back through a pipe. A horse that runs past ``options.timeout`` is killed
and its worker records the job ``failed`` with a ``JobTimeout`` error; a horse that dies on its
own is recorded ``failed`` with a ``WorkHorseDied`` error.

Forking is safe only from a process where no other thread is using a database at that moment
(SQLite's per-process lock bookkeeping and SQLAlchemy's locks would be inherited mid-use): the
forking worker is single-threaded, beats while it waits for its horse, and closes its SQLite
connections before each fork so that the horse starts with none.
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

from chariots_core.database import close_sqlite_connections
from chariots_core.errors import ChariotsError
from chariots_core.jobs import JobMessage, JobStatus
from chariots_core.workers._apps import get_app
from chariots_core.workers._runtime import RunOutcome, run_job
from chariots_core.workers.embedded._forking import fork_context, when_orphaned

#: seconds between two looks at a running horse (its timeout, the worker's heartbeat)
_LOOK_INTERVAL = 0.1


class WorkHorseFailed(ChariotsError):
    """The runtime raised in the work horse (not the job: the job's errors are recorded)."""


def run_in_work_horse(
    message: JobMessage, worker_id: str, while_waiting: Callable[[], None]
) -> RunOutcome:
    """Run the message in a forked process, killed if it runs past ``message.options.timeout``;
    ``while_waiting`` (the worker's heartbeat) is called every tenth of a second meanwhile."""
    context = fork_context()
    receiver, sender = context.Pipe(duplex=False)
    horse = context.Process(
        target=_work_horse,
        args=(message, worker_id, sender, os.getpid()),
        name=f"chariots-work-horse-{message.job_id}",
    )
    timeout = message.options.timeout
    try:
        close_sqlite_connections()
        horse.start()
        sender.close()
        deadline = None if timeout is None else time.monotonic() + timeout
        while horse.is_alive():
            if deadline is not None and time.monotonic() >= deadline:
                horse.kill()
                horse.join()
                return _record_failure(
                    message,
                    worker_id,
                    "JobTimeout",
                    f"job {message.job_id} ran past its timeout of {timeout:g}s: its work "
                    "horse was killed",
                )
            while_waiting()
            horse.join(_LOOK_INTERVAL)
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
