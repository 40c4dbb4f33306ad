"""What Celery runs: one task carrying every chariots job (its message, JSON text, goes to
:func:`~chariots_core.workers.run_job`; it returns nothing: the job store holds results), and
:class:`ChariotsRequest`, which records in the worker's main process what the task cannot see:
a process killed at the hard time limit, or lost."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

from billiard.einfo import ExceptionWithTraceback
from billiard.exceptions import SoftTimeLimitExceeded, WorkerLostError
from billiard.pool import SIG_SOFT_TIMEOUT
from billiard.process import current_process
from celery import Celery, Task
from celery.exceptions import Reject
from celery.signals import worker_init
from celery.worker import state
from celery.worker.request import Request

from chariots_core import errors
from chariots_core.jobs import JobMessage
from chariots_core.workers import MessageAction, RunOutcome, fail_run, raise_in_job, run_job
from chariots_core.workers.kit import prepare_fork

logger = logging.getLogger(__name__)

#: the name of the one task chariots registers on a Celery application
TASK_NAME = "chariots.run_job"
#: Celery's name of the state of a job a worker runs (its native status)
STARTED = "STARTED"
#: the signal a revoke sends to the process running a job: raises ``JobCancelled`` in its node
CANCEL_SIGNAL = signal.SIGUSR2


class JobTimeout(errors.JobTimeout, SoftTimeLimitExceeded):  # type: ignore[misc]
    """A job's soft time limit (its ``timeout``), raised in its node: code that cleans up on
    Celery's ``SoftTimeLimitExceeded`` catches it; the runtime records a ``JobTimeout``."""

    __str__ = Exception.__str__


def worker_id(nodename: str | None) -> str:
    """The worker id of the runs of the Celery worker ``nodename``: host, pid of its main process
    (what lives and dies as the worker: its prefork children run the jobs) and node name."""
    pid = os.getpid() if current_process().name == "MainProcess" else os.getppid()
    return f"{socket.gethostname()}:{pid}:celery-{nodename or 'none'}"


class ChariotsTask(Task):  # type: ignore[misc]
    """Acknowledged late, given back when its process is lost, JSON, no result, no retry limit
    of Celery's (the job's options bound its runs)."""

    Request = "chariots_celery.task:ChariotsRequest"
    acks_late = True
    reject_on_worker_lost = True
    ignore_result = True
    serializer = "json"
    max_retries = None
    typing = False


def register(app: Celery) -> Task:
    """The chariots task of ``app``, registered on it unless it is already."""
    return app.task(name=TASK_NAME, base=ChariotsTask, bind=True, shared=False, lazy=False)(
        run_message
    )


def run_message(task: Task, message_json: Any) -> None:
    """Run one delivery of a chariots job (the body of the task)."""
    if not isinstance(message_json, str):
        logger.error("dropped a message of %s: chariots jobs are JSON text", type(message_json))
        return
    request = task.request
    with _signals_raise_in_the_job(request.timelimit) as disarm:
        try:
            outcome = run_job(message_json, worker_id(request.hostname), native_status=STARTED)
        except Exception:  # the job store out of reach, say: deliver it again a little later
            logger.exception("job %s could not be run; it goes back to the queue", request.id)
            outcome = RunOutcome.later(str(request.id), 1.0, "could not be run")
        disarm()  # a time limit or a revoke that comes now must not stop the message's return
        try:
            if outcome.action is MessageAction.later:
                send_again(task, request, outcome.delay)
        except Exception as error:  # not sent: this delivery comes back instead
            raise Reject(error, requeue=True) from error


def send_again(task: Task, request: Any, delay: float) -> None:
    """The same message, with the same options (queue, priority, time limits), ``delay``
    seconds from now; the delivery in hand is acknowledged after."""
    task.signature_from_request(request, countdown=delay if delay > 0 else None).apply_async()


@contextlib.contextmanager
def _signals_raise_in_the_job(timelimit: Any) -> Iterator[Callable[[], None]]:
    """Within the block (a prefork child runs tasks in its main thread), until it is disarmed,
    the soft time limit raises :class:`JobTimeout` and a revoke's :data:`CANCEL_SIGNAL` raises
    ``JobCancelled`` in the node running: the runtime records them."""
    armed = [threading.current_thread() is threading.main_thread()]
    if not armed[0]:
        yield armed.clear
        return
    soft = timelimit[1] if isinstance(timelimit, list | tuple) and len(timelimit) == 2 else None

    def cancelled(signum: int, frame: object) -> None:
        if armed:
            raise_in_job(errors.JobCancelled("the job was revoked: stopped in its node"))

    def timed_out(signum: int, frame: object) -> None:
        if armed:
            raise_in_job(
                JobTimeout(f"the job ran past its timeout of {soft:g}s: stopped in its node")
            )

    handlers = {CANCEL_SIGNAL: cancelled}
    if soft and SIG_SOFT_TIMEOUT is not None:
        handlers[SIG_SOFT_TIMEOUT] = timed_out
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield armed.clear
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class ChariotsRequest(Request):  # type: ignore[misc]
    """A chariots job in the worker's main process: records the ends the task cannot."""

    def on_timeout(self, soft: bool, timeout: float) -> None:
        super().on_timeout(soft, timeout)
        if not soft and not state.should_terminate:
            killed = f"its process was killed at Celery's hard time limit ({timeout:g}s)"
            self._end(errors.JobTimeout(f"job {self.id} ran past its timeout: {killed}"))

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> None:
        error = exc_info.exception
        if isinstance(error, ExceptionWithTraceback):
            error = error.exc
        if isinstance(error, WorkerLostError | SystemExit | KeyboardInterrupt):
            if state.should_terminate:
                self._end(errors.WorkerStopped(f"job {self.id}: its worker stopped cold"))
            else:
                self._end(errors.WorkHorseDied(f"the process of job {self.id} died: {error}"))
        super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)

    def _end(self, error: BaseException) -> None:
        """Fail the run of this worker from outside the job; send the message again when its
        retry policy says so (a lost process's message comes back by itself)."""
        try:
            message = JobMessage.from_json(self.args[0])
            outcome = fail_run(message, worker_id(self.hostname), error)
            if outcome.action is MessageAction.later and isinstance(error, errors.JobTimeout):
                send_again(self.task, self._context, outcome.delay)
        except Exception:
            logger.exception("Celery task %s: could not record its end", self.id)
        finally:
            prepare_fork()  # this process forks the next pool processes: no SQLite held


# a Celery worker (ours, or ``celery worker``) forks its pool's processes after this signal
worker_init.connect(lambda **_: prepare_fork(), weak=False, dispatch_uid="chariots-prepare-fork")
