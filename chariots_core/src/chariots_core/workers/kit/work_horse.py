"""Work horses: one job in a forked child process, killed at the job's timeout.

A pool honours the ``timeouts`` capability by running each job where it can be stopped inside a
node: a child process. :func:`run_in_work_horse` forks one (after :func:`prepare_fork`), hands the
message to :func:`~chariots_core.workers.run_job` there, under the worker's id, and waits for the
outcome through a pipe. A horse that runs past ``message.options.timeout`` is killed (with every
process it started) and the run failed with :class:`~chariots_core.errors.JobTimeout` through
:func:`~chariots_core.workers.fail_run` (so the job's retries apply); a horse that dies on its
own is failed with :class:`~chariots_core.errors.WorkHorseDied`.

Fork from a thread while no other thread of the process uses a database (a single-threaded
worker that beats while it waits, through ``while_waiting``).
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

from chariots_core.errors import BadRequest, ChariotsError, JobTimeout, WorkHorseDied
from chariots_core.jobs import JobMessage
from chariots_core.workers._outcome import RunOutcome
from chariots_core.workers._runtime import fail_run, run_job
from chariots_core.workers.kit.forking import fork_context, prepare_fork, when_orphaned
from chariots_core.workers.kit.processes import exit_reason, kill_tree

__all__ = ["WorkHorseFailed", "run_in_work_horse"]

#: seconds between two looks at a running horse (its timeout, the worker's heartbeat)
LOOK_INTERVAL = 0.1


class WorkHorseFailed(ChariotsError):
    """The runtime itself raised in the work horse (not the job: the job's errors are recorded)."""


def run_in_work_horse(
    message: JobMessage | str | bytes,
    worker_id: str,
    while_waiting: Callable[[], None] | None = None,
    *,
    timeout: float | None = None,
    native_status: str | None = None,
) -> RunOutcome:
    """Run the message in a forked process, killed if it runs past ``timeout`` seconds (default:
    the job's ``timeout`` option); ``while_waiting`` (a heartbeat) is called about every tenth
    of a second meanwhile. Returns the run's outcome; raises :class:`WorkHorseFailed` when the
    runtime itself failed in the horse.

    ``message`` may be the text as it came off the queue: text that is no job message is handed
    to :func:`~chariots_core.workers.run_job` here, which drops it (no horse is forked for it)."""
    if not isinstance(message, JobMessage):
        try:
            message = JobMessage.from_json(message)
        except BadRequest:
            return run_job(message, worker_id, native_status=native_status)
    context = fork_context()
    receiver, sender = context.Pipe(duplex=False)
    horse = context.Process(
        target=_work_horse,
        args=(message, worker_id, native_status, sender, os.getpid()),
        name=f"chariots-work-horse-{message.job_id}",
    )
    limit = message.options.timeout if timeout is None else timeout
    try:
        prepare_fork()
        horse.start()
        sender.close()
        deadline = None if limit is None else time.monotonic() + limit
        while horse.is_alive():
            if deadline is not None and time.monotonic() >= deadline:
                if horse.pid is not None:
                    kill_tree(horse.pid)
                horse.join()
                return fail_run(
                    message,
                    worker_id,
                    JobTimeout(
                        f"job {message.job_id} ran past its timeout of {limit:g}s: its work "
                        "horse was killed"
                    ),
                )
            if while_waiting is not None:
                while_waiting()
            horse.join(LOOK_INTERVAL)
        if receiver.poll():
            answer = receiver.recv()
            if isinstance(answer, RunOutcome):
                return answer
            raise WorkHorseFailed(f"the work horse of job {message.job_id} failed:\n{answer}")
        return fail_run(
            message,
            worker_id,
            WorkHorseDied(
                f"the work horse of job {message.job_id} died ({exit_reason(horse.exitcode)})"
            ),
        )
    finally:
        receiver.close()
        horse.close()


def _work_horse(
    message: JobMessage,
    worker_id: str,
    native_status: str | None,
    sender: Connection,
    parent_pid: int,
) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the worker stops gracefully, so
    # its horse finishes the job; one whose worker died goes too (its job is then lost)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    when_orphaned(parent_pid, lambda: os._exit(1))
    try:
        answer: RunOutcome | str = run_job(message, worker_id, native_status=native_status)
    except BaseException:
        answer = traceback.format_exc()
    sender.send(answer)
    sender.close()
