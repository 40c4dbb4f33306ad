"""The worker runtime: the one function every pool hands its messages to.

It claims the job, loads the pipeline's newest compatible versions, runs it with a heartbeat and
a cancellation check between nodes, saves what the run changed, and records the result or the
error and the versions used. So status, cancellation, progress and provenance behave the same on
every backend, and a pool stays a short adapter.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chariots_core._json import strict_jsonable
from chariots_core.database import utc_now
from chariots_core.errors import (
    BadRequest,
    ChariotsError,
    JobCancelled,
    JobTimeout,
    PipelineNotFound,
    WorkerStopped,
)
from chariots_core.jobs import Job, JobMessage, JobStatus, JobStore
from chariots_core.jobs._integrity import SECRET_KEY_ENV, digest_of, secret_keys, signed_by
from chariots_core.pipeline_model import Pipeline
from chariots_core.pipeline_model.callbacks import PipelineCallback
from chariots_core.pipeline_model.nodes import Node
from chariots_core.workers._apps import WorkerApp, get_app, registered_apps
from chariots_core.workers._heartbeats import heartbeats
from chariots_core.workers._job_log import log_job_run
from chariots_core.workers._outcome import ErrorDetails, MessageAction, RunOutcome
from chariots_core.workers._pipeline_cache import PipelineCache
from chariots_core.workers._plugins import lifecycle_hooks

logger = logging.getLogger(__name__)

_cache = PipelineCache()

__all__ = [
    "JobCancelled",
    "JobTimeout",
    "MessageAction",
    "RunOutcome",
    "WorkerStopped",
    "error_details",
    "fail_run",
    "new_worker_id",
    "raise_in_job",
    "run_job",
    "warm_for_fork",
]

#: seconds added to a take-over's wait, so that the job's heartbeat is surely stale by then
_TAKE_OVER_MARGIN = 0.05


def new_worker_id(label: str = "") -> str:
    """An id naming this host, process and (optional) worker label, unique per call."""
    suffix = f"{label}-" if label else ""
    return f"{socket.gethostname()}:{os.getpid()}:{suffix}{uuid.uuid4().hex[:8]}"


def run_job(
    message: JobMessage | str | bytes,
    worker_id: str | None = None,
    *,
    native_status: str | None = None,
    heartbeat_interval: float | None = None,
    ended_native_status: Mapping[JobStatus, str] | None = None,
) -> RunOutcome:
    """Run one delivery of a job message; never raises for the job's own failures, nor for a
    message that is not a job message (that one is dropped).

    The app is found by name among the apps registered in this process (servers register
    themselves; ``chariots worker --app`` imports and registers one). The outcome's ``action``
    says what the pool does with the message: see :class:`MessageAction`.

    ``native_status`` is the backend's name for a claimed job's state; ``ended_native_status``
    its names for the states a run ends in (RQ: ``{JobStatus.done: "finished", …}``).
    """
    if not isinstance(message, JobMessage):
        try:
            message = JobMessage.from_json(message)
        except BadRequest as error:
            logger.error("dropped a message that is not a chariots job message: %s", error)
            return RunOutcome.dropped("", f"not a job message: {error}", error_details(error))
    body = message.canonical_body()  # once: what the signature and the digest are taken over
    keys = secret_keys()
    if keys and not signed_by(body, message.signature, keys):
        logger.error(
            "refused the message of job %s: it is not signed with a key of %s",
            message.job_id,
            SECRET_KEY_ENV,
        )
        return RunOutcome.dropped(message.job_id, "unsigned or mis-signed message")
    worker_id = worker_id or new_worker_id()
    try:
        app = get_app(message.app)
    except LookupError as error:
        return _fail_without_app(message, worker_id, error, digest_of(body))
    store = _job_store(app)
    if message.options.delay:
        early = _not_yet_due(store, message)
        if early is not None:
            return early
    digest = digest_of(body)
    # the plugins' hooks are loaded before the claim (a first load imports every plugin, which
    # may take seconds): between the claim and the run's heartbeat, nothing slow
    hooks = lifecycle_hooks()
    _job_code.pending = None  # a stop meant for an earlier job
    # the claim bounds the job's runs: its first and its retries, a dead worker's run included
    job = store.claim(message.job_id, worker_id, native_status, digest)
    if job is None:
        return _not_claimed(store, message.job_id, digest)
    hooks.chariots_job_started(job=job)
    started = time.monotonic()
    try:
        run = _JobRun(app, store, job, message, worker_id, heartbeat_interval)
        run.ended_native_status = ended_native_status or {}
        outcome = run.execute()
    finally:
        _job_finished(store, message.job_id)
    log_job_run(job, outcome, started)
    return outcome


class _JobCode(threading.local):
    """Whether this thread runs a job's nodes now, and a stop that waits for the next node."""

    active = False
    pending: BaseException | None = None


_job_code = _JobCode()


def raise_in_job(error: BaseException) -> None:
    """Stop the job this thread runs with ``error`` (from a signal handler: a backend's revoke,
    a soft time limit): raised now if the thread is in one of the job's nodes, else at the
    job's next node, so that it never lands in the runtime's own writes (a claim, the record
    of the end, which it would make fail). A stop that comes after the last node is dropped:
    the job's end is being recorded."""
    if _job_code.active:
        raise error
    _job_code.pending = error


def warm_for_fork() -> None:
    """Do in this process what each work horse forked from it would otherwise do for its job:
    load the plugins' hooks, compile the job stores' statements, load the apps' pipelines (see
    :func:`~chariots_core.workers.kit.prepare_fork`). A failure is logged once, and that app
    is not warmed again: its horses do the work themselves."""
    lifecycle_hooks()
    for app in registered_apps():
        if app in _not_warmed:
            continue
        try:
            if app.job_store is not None:
                app.job_store.warm()
            _cache.fill(app, app.pipelines.values(), app.op_store_client)
        except Exception:
            _not_warmed.add(app)
            logger.warning("could not warm app %r before forking", app.name, exc_info=True)


#: the apps whose warming failed (not tried again at each fork)
_not_warmed: weakref.WeakSet[WorkerApp] = weakref.WeakSet()


def fail_run(
    message: JobMessage | str | bytes,
    worker_id: str | None,
    error: BaseException | ErrorDetails,
    *,
    native_status: str | None = None,
    worker_suffix: str | None = None,
) -> RunOutcome:
    """Record, from outside the job, that its run ended badly: a work horse killed at the job's
    timeout (``JobTimeout``) or dead on its own (``WorkHorseDied``), a backend that stopped the
    run on a cancel (``JobCancelled``: the job ends ``cancelled``), a worker that stopped or died
    with the job in hand (``WorkerStopped``: the job runs again if it has runs left, else it
    ends ``lost``).

    The end is recorded with the standard error shape (``type``, ``message``, ``traceback``) on
    the run of ``worker_id`` (``None``: whichever worker's run the record holds, if its id ends
    with ``worker_suffix`` when one is given; a ``WorkerStopped`` with neither ends only a run
    whose heartbeat is stale), or on the job if no run had claimed it yet; for a failure, the
    job's retry policy applies (a job with retries left goes back to ``queued``, and the
    outcome says ``later`` after its ``retry_interval``);
    the lifecycle hook ``chariots_job_finished`` fires. A job that is no longer running (it
    ended, or was taken over) is left as it is, and the outcome drops the message.
    """
    if not isinstance(message, JobMessage):
        message = JobMessage.from_json(message)
    details = error if isinstance(error, dict) else error_details(error)
    try:
        store = _job_store(get_app(message.app))
    except LookupError as missing:
        return _fail_without_app(message, worker_id or new_worker_id(), missing)
    try:
        job = store.get(message.job_id)
    except LookupError:
        return RunOutcome.dropped(message.job_id, "no such job in the app's job store", details)
    if job.status is JobStatus.queued and job.attempts == 0:
        if not store.fail_unstarted(job.id, details):
            return _not_claimed(store, job.id)
        _job_finished(store, job.id)
        return RunOutcome(job.id, ran=False, status=JobStatus.failed, error=details)
    owner = worker_id or job.worker_id
    if job.status is not JobStatus.running or owner is None or job.worker_id != owner:
        reason = f"the run is over (the job is {job.status.value})"
        return RunOutcome.dropped(job.id, reason, details)
    if worker_suffix is not None and not owner.endswith(worker_suffix):
        return RunOutcome.dropped(job.id, "the run is another worker's", details)
    if details.get("type") == WorkerStopped.__name__:
        if worker_id is None and worker_suffix is None and not store.is_stale(job.heartbeat_at):
            # a backend's word that some worker abandoned the job, while the run the record
            # holds beats: that run is another's (the job was sent again), and it lives
            return RunOutcome.dropped(job.id, "the job's run is alive", details)
        return _worker_gone(store, job, owner, details, native_status)
    status = _END_BY_ERROR.get(str(details.get("type")), JobStatus.failed)
    retry = status is JobStatus.failed and job.attempts <= message.options.retries
    if retry:
        status = JobStatus.queued
    recorded = store.finish(
        job.id, owner, status, error=details, progress=job.progress, native_status=native_status
    )
    if not recorded:
        return RunOutcome.dropped(job.id, "the run was taken over meanwhile", details)
    _job_finished(store, job.id)
    if retry:
        return RunOutcome(
            job.id,
            ran=True,
            status=status,
            retry=True,
            error=details,
            action=MessageAction.later,
            delay=message.options.retry_interval,
        )
    return RunOutcome(job.id, ran=True, status=status, error=details)


#: how a run ended from outside is recorded, by the error's type (any other: failed)
_END_BY_ERROR = {JobCancelled.__name__: JobStatus.cancelled}


def _worker_gone(
    store: JobStore, job: Job, owner: str, details: ErrorDetails, native_status: str | None
) -> RunOutcome:
    """A run whose worker stopped with the job in hand: queued again (its message sent again by
    the core's recovery, or by the pool now: ``later``) if it has runs left, else lost."""
    reason = f"its worker stopped with the job in hand ({details.get('message')})"
    status = store.worker_gone(job.id, owner, reason, native_status)
    if status is None:
        return RunOutcome.dropped(job.id, "the run was taken over meanwhile", details)
    _job_finished(store, job.id)
    if status is JobStatus.queued:
        return RunOutcome(
            job.id, ran=True, status=status, retry=True, error=details, action=MessageAction.later
        )
    return RunOutcome(job.id, ran=True, status=status, error=details)


def _job_store(app: WorkerApp) -> JobStore:
    store = app.job_store
    if store is None:  # pragma: no cover - servers with a pool always have one
        raise ChariotsError(f"app {app.name!r} has no job store")
    return store


def _job_finished(store: JobStore, job_id: str) -> None:
    """Fire ``chariots_job_finished`` with the job as recorded (read only when some observer or
    plugin implements the hook)."""
    relay = lifecycle_hooks()
    if not relay.chariots_job_finished.get_hookimpls():
        return
    try:
        finished = store.get(job_id)
    except LookupError:
        return
    relay.chariots_job_finished(job=finished)


def _not_yet_due(store: JobStore, message: JobMessage) -> RunOutcome | None:
    """A delivery that came before the job's ``delay`` was over: deliver it again when due."""
    try:
        job = store.get(message.job_id)
    except LookupError:
        return None  # the claim finds nothing either, and says so
    due = job.submitted_at + timedelta(seconds=message.options.delay or 0.0)
    early = (due - utc_now()).total_seconds()
    if early > 0 and job.status is JobStatus.queued:
        return RunOutcome.later(job.id, early, "the job is not due yet (its delay)")
    return None


def _not_claimed(store: JobStore, job_id: str, digest: str | None = None) -> RunOutcome:
    """Why a claim failed, as what to do with the message."""
    try:
        job = store.get(job_id)
    except LookupError as error:
        return RunOutcome.dropped(job_id, f"no such job in the app's job store ({error})")
    if digest is not None and job.message_digest not in (None, digest):
        logger.error(
            "refused a message for job %s that does not match its record (another app, "
            "pipeline, input or options than were submitted)",
            job_id,
        )
        return RunOutcome.dropped(job_id, "the message does not match its job's record")
    if job.cancel_requested and job.status is not JobStatus.running:
        return RunOutcome.dropped(job_id, "the job was cancelled")
    if job.status is JobStatus.running:
        # held by a worker whose heartbeat is fresh: a take-over that came too early
        age = 0.0 if job.heartbeat_at is None else (utc_now() - job.heartbeat_at).total_seconds()
        wait = store.heartbeat_timeout - age + _TAKE_OVER_MARGIN
        return RunOutcome.later(job_id, wait, f"the job is running in worker {job.worker_id}")
    if job.status.is_finished:
        return RunOutcome.dropped(job_id, f"the job is {job.status.value}")
    # queued again between the claim and this look (a race): deliver it again soon
    return RunOutcome.later(job_id, 0.0, f"the job turned {job.status.value} meanwhile")


def _fail_without_app(
    message: JobMessage, worker_id: str, error: Exception, digest: str | None = None
) -> RunOutcome:
    """A message for an app this worker does not have: fail the job in the stores we know (a
    claim that needs the message's digest, so that a forged message fails no real job)."""
    details = error_details(error)
    digest = digest or message.digest
    for app in registered_apps():
        store = app.job_store
        if store is None:
            continue
        try:
            if store.claim(message.job_id, worker_id, message_digest=digest) is not None:
                store.finish(message.job_id, worker_id, JobStatus.failed, error=details)
                return RunOutcome(message.job_id, ran=True, status=JobStatus.failed, error=details)
        except Exception:  # another app's store out of reach: not this job's store
            logger.warning("could not look for job %s in %r", message.job_id, store, exc_info=True)
    logger.error("job %s names an unknown app: %s", message.job_id, error)
    return RunOutcome.dropped(message.job_id, f"unknown app {message.app!r}", details)


class _JobRun(PipelineCallback):
    """One run of one job: the heartbeat, the checks between nodes, the record at the end."""

    def __init__(
        self,
        app: WorkerApp,
        store: JobStore,
        job: Job,
        message: JobMessage,
        worker_id: str,
        heartbeat_interval: float | None,
    ) -> None:
        self.app = app
        self.store = store
        self.job = job
        self.message = message
        self.worker_id = worker_id
        self.heartbeat_interval = heartbeat_interval or max(0.05, store.heartbeat_timeout / 4)
        self.deadline = (
            None if message.options.timeout is None else time.monotonic() + message.options.timeout
        )
        self.total = 0
        self.done = 0
        self.cancel_requested = threading.Event()
        self.stopped = threading.Event()
        self.last_beat = time.monotonic()  # the claim was a beat
        self.ended_native_status: Mapping[JobStatus, str] = {}

    # -- PipelineCallback: between nodes ------------------------------------------------------

    def before_node_execution(self, pipeline: Pipeline, node: Node, args: list[Any]) -> None:
        pending, _job_code.pending = _job_code.pending, None
        if pending is not None:  # a stop that came while the runtime was writing
            raise pending
        if self.cancel_requested.is_set():
            raise JobCancelled(f"job {self.job.id} was cancelled before node {node.name!r}")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise JobTimeout(
                f"job {self.job.id} ran past its timeout of {self.message.options.timeout}s "
                f"(stopped before node {node.name!r})"
            )
        _job_code.active = True

    def after_node_execution(
        self, pipeline: Pipeline, node: Node, args: list[Any], output: Any
    ) -> None:
        _job_code.active = False
        if pipeline.name != self.message.pipeline:
            return  # a node of a nested pipeline
        self.done += 1
        if self.done >= self.total:
            return  # the end records the progress; no node is left to cancel
        if time.monotonic() - self.last_beat >= self.heartbeat_interval:
            self.last_beat = time.monotonic()
            if self.store.heartbeat(self.job.id, self.worker_id, (self.done, self.total)):
                self.cancel_requested.set()
        elif self.store.cancel_requested(self.job.id):  # a read, before the next node
            self.cancel_requested.set()

    # -- the run ------------------------------------------------------------------------------

    def execute(self) -> RunOutcome:
        heartbeats.add(self)
        versions_loaded: dict[str, str] | None = None
        try:
            pipeline = _pipeline_of(self.app, self.message.pipeline)
            with _cache.borrow(self.app, pipeline, self.app.op_store_client) as loaded:
                before = loaded.get_pipeline_versions()
                versions_loaded = {name: str(version) for name, version in before.items()}
                self.total = len(loaded.nodes)
                try:
                    output = self.app.runner.run(
                        loaded,
                        self.message.input,
                        [*self.app.default_pipeline_callbacks, self],
                    )
                finally:
                    _job_code.active = False
                result = strict_jsonable(output, "result")
                versions_saved = self._save_changes(loaded, before)
        except (KeyboardInterrupt, SystemExit):
            self.stopped.set()
            try:  # the stop goes on whatever the store says: a stale heartbeat ends the run too
                self.store.worker_gone(
                    self.job.id, self.worker_id, "its worker stopped with the job in hand"
                )
            except Exception:
                logger.warning("could not record that job %s's worker stopped", self.job.id)
            raise
        except JobCancelled as error:
            return self._record(JobStatus.cancelled, error=error_details(error))
        except PipelineNotFound as error:
            return self._record(JobStatus.failed, error=error_details(error))
        except Exception as error:
            details = error_details(error)
            if self.job.attempts <= self.message.options.retries:
                return self._record(
                    JobStatus.queued, error=details, retry=True, versions_loaded=versions_loaded
                )
            return self._record(JobStatus.failed, error=details, versions_loaded=versions_loaded)
        finally:
            self.stopped.set()
            heartbeats.remove(self)
        return self._record(
            JobStatus.done,
            result=result,
            versions_loaded=versions_loaded,
            versions_saved=versions_saved,
        )

    def _save_changes(self, pipeline: Pipeline, before: dict[str, Any]) -> dict[str, str]:
        after = pipeline.get_pipeline_versions()
        changed = {name: str(v) for name, v in after.items() if before.get(name) != v}
        if changed:
            pipeline.save(self.app.op_store_client)
        return changed

    def _record(
        self,
        status: JobStatus,
        *,
        result: Any = None,
        error: ErrorDetails | None = None,
        retry: bool = False,
        versions_loaded: dict[str, str] | None = None,
        versions_saved: dict[str, str] | None = None,
    ) -> RunOutcome:
        self.stopped.set()
        progress = (self.done, self.total)
        try:
            recorded = self.store.finish(
                self.job.id,
                self.worker_id,
                status,
                result=result,
                error=error,
                versions_loaded=versions_loaded,
                versions_saved=versions_saved,
                progress=progress,
                options=self.message.options,
                native_status=self.ended_native_status.get(status),
            )
        except Exception as refused:
            # a run whose end the store refuses (a result it cannot hold) fails the job once,
            # saying why, rather than leaving it running to be taken over and run again; if
            # the store is out of reach, this second write raises too, and the pool hands the
            # message back
            logger.exception("job %s: the job store refused its end", self.job.id)
            error = error_details(
                EndNotRecorded(
                    f"job {self.job.id}'s run ended {status.value}, but the job store refused "
                    f"to record it: {type(refused).__name__}: {_first_line(refused)}"
                )
            )
            status, retry = JobStatus.failed, False
            recorded = self.store.finish(
                self.job.id,
                self.worker_id,
                status,
                error=error,
                versions_loaded=versions_loaded,
                progress=progress,
            )
        if not recorded:  # the job was taken from this worker (found lost, run elsewhere)
            return RunOutcome.dropped(self.job.id, "the run was taken over meanwhile", error)
        if retry:
            return RunOutcome(
                self.job.id,
                ran=True,
                status=status,
                retry=True,
                error=error,
                action=MessageAction.later,
                delay=self.message.options.retry_interval,
            )
        return RunOutcome(self.job.id, ran=True, status=status, error=error)

    def beat(self) -> None:
        """Say the run lives (called by the process's heartbeat thread while it runs)."""
        if self.stopped.is_set():
            return
        self.last_beat = time.monotonic()
        progress = (self.done, self.total) if self.total else None
        if self.store.heartbeat(self.job.id, self.worker_id, progress):
            self.cancel_requested.set()


def _pipeline_of(app: WorkerApp, name: str) -> Pipeline:
    pipeline = app.pipelines.get(name)
    if pipeline is None:
        raise PipelineNotFound(
            f"no pipeline named {name!r} in this app (available: {sorted(app.pipelines)})"
        )
    return pipeline


class EndNotRecorded(ChariotsError):
    """A run ended, but the job store refused its end (a result it cannot hold)."""


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [""])[0][:500]


def error_details(error: BaseException) -> ErrorDetails:
    """The standard shape of a job's error: its type's name, its message, its traceback."""
    return {
        "type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    }
