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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chariots_core._json import to_jsonable
from chariots_core.errors import ChariotsError, PipelineNotFound
from chariots_core.jobs import Job, JobMessage, JobStatus, JobStore
from chariots_core.pipelines.callbacks import PipelineCallback
from chariots_core.workers._apps import get_app, registered_apps
from chariots_core.workers._pipeline_cache import PipelineCache
from chariots_core.workers._plugins import lifecycle_hooks

if TYPE_CHECKING:
    from chariots_core.pipelines import Pipeline, PipelinesServer
    from chariots_core.pipelines.nodes import Node

logger = logging.getLogger(__name__)

_cache = PipelineCache()


class JobCancelled(ChariotsError):
    """Raised between two nodes of a job whose cancellation was asked."""


class JobTimeout(ChariotsError):
    """Raised between two nodes of a job that ran past its ``timeout`` option."""


class WorkerStopped(ChariotsError):
    """The worker was stopped while the job was in hand."""


@dataclass(frozen=True)
class RunOutcome:
    """What became of one delivery of a message.

    ``ran`` is false when the job was not this worker's to run (cancelled, finished, claimed by
    a live worker, unknown). ``retry`` asks the pool to deliver the message again (the job failed
    and has retries left); pools with native retries raise to their backend, others resubmit.
    """

    job_id: str
    ran: bool
    status: JobStatus | None = None
    retry: bool = False
    error: dict[str, str | None] | None = None


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
) -> RunOutcome:
    """Run one delivery of a job message; never raises for the job's own failures.

    The app is found by name among the apps registered in this process (servers register
    themselves; ``chariots worker --app`` imports and registers one).
    """
    if not isinstance(message, JobMessage):
        message = JobMessage.from_json(message)
    worker_id = worker_id or new_worker_id()
    try:
        app = get_app(message.app)
    except LookupError as error:
        return _fail_without_app(message, worker_id, error)
    store = _job_store(app)
    job = store.claim(message.job_id, worker_id, native_status)
    if job is None:
        logger.info("job %s is not this worker's to run; skipped", message.job_id)
        return RunOutcome(message.job_id, ran=False)
    lifecycle_hooks().chariots_job_started(job=job)
    try:
        run = _JobRun(app, store, job, message, worker_id, heartbeat_interval)
        outcome = run.execute()
    finally:
        finished: Job | None
        try:
            finished = store.get(message.job_id)
        except LookupError:
            finished = None
        if finished is not None:
            lifecycle_hooks().chariots_job_finished(job=finished)
    return outcome


def _job_store(app: PipelinesServer) -> JobStore:
    store = app.job_store
    if store is None:  # pragma: no cover - servers with a pool always have one
        raise ChariotsError(f"app {app.name!r} has no job store")
    return store


def _fail_without_app(message: JobMessage, worker_id: str, error: Exception) -> RunOutcome:
    """A message for an app this worker does not have: fail the job in the stores we know."""
    details = _error_details(error)
    for app in registered_apps():
        store = app.job_store
        if store is None:
            continue
        try:
            if store.claim(message.job_id, worker_id) is not None:
                store.finish(message.job_id, worker_id, JobStatus.failed, error=details)
                return RunOutcome(message.job_id, ran=True, status=JobStatus.failed, error=details)
        except Exception:  # another app's store out of reach: not this job's store
            logger.warning("could not look for job %s in %r", message.job_id, store, exc_info=True)
    logger.error("job %s names an unknown app: %s", message.job_id, error)
    return RunOutcome(message.job_id, ran=False, error=details)


class _JobRun(PipelineCallback):
    """One run of one job: the heartbeat, the checks between nodes, the record at the end."""

    def __init__(
        self,
        app: PipelinesServer,
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

    # -- PipelineCallback: between nodes ------------------------------------------------------

    def before_node_execution(self, pipeline: Pipeline, node: Node, args: list[Any]) -> None:
        if self.cancel_requested.is_set():
            raise JobCancelled(f"job {self.job.id} was cancelled before node {node.name!r}")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise JobTimeout(
                f"job {self.job.id} ran past its timeout of {self.message.options.timeout}s "
                f"(stopped before node {node.name!r})"
            )

    def after_node_execution(
        self, pipeline: Pipeline, node: Node, args: list[Any], output: Any
    ) -> None:
        if pipeline.name != self.message.pipeline:
            return  # a node of a nested pipeline
        self.done += 1
        if self.store.heartbeat(self.job.id, self.worker_id, (self.done, self.total)):
            self.cancel_requested.set()

    # -- the run ------------------------------------------------------------------------------

    def execute(self) -> RunOutcome:
        beat = threading.Thread(target=self._beat, name=f"heartbeat-{self.job.id}", daemon=True)
        beat.start()
        versions_loaded: dict[str, str] | None = None
        try:
            pipeline = self.app.get_pipeline(self.message.pipeline)
            with _cache.borrow(self.app, pipeline, self.app.op_store_client) as loaded:
                before = loaded.get_pipeline_versions()
                versions_loaded = {name: str(version) for name, version in before.items()}
                self.total = len(loaded.nodes)
                output = self.app.runner.run(
                    loaded,
                    self.message.input,
                    [*self.app.default_pipeline_callbacks, self],
                )
                result = to_jsonable(output)
                versions_saved = self._save_changes(loaded, before)
        except (KeyboardInterrupt, SystemExit):
            self._record(JobStatus.lost, error=_error_details(WorkerStopped("worker stopped")))
            raise
        except JobCancelled as error:
            return self._record(JobStatus.cancelled, error=_error_details(error))
        except PipelineNotFound as error:
            return self._record(JobStatus.failed, error=_error_details(error))
        except Exception as error:
            details = _error_details(error)
            if self.job.attempts <= self.message.options.retries:
                return self._record(
                    JobStatus.queued, error=details, retry=True, versions_loaded=versions_loaded
                )
            return self._record(JobStatus.failed, error=details, versions_loaded=versions_loaded)
        finally:
            self.stopped.set()
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
        error: dict[str, str | None] | None = None,
        retry: bool = False,
        versions_loaded: dict[str, str] | None = None,
        versions_saved: dict[str, str] | None = None,
    ) -> RunOutcome:
        self.stopped.set()
        self.store.finish(
            self.job.id,
            self.worker_id,
            status,
            result=result,
            error=error,
            versions_loaded=versions_loaded,
            versions_saved=versions_saved,
            progress=(self.done, self.total),
        )
        return RunOutcome(self.job.id, ran=True, status=status, retry=retry, error=error)

    def _beat(self) -> None:
        while not self.stopped.wait(self.heartbeat_interval):
            try:
                if self.store.heartbeat(self.job.id, self.worker_id):
                    self.cancel_requested.set()
            except Exception:  # a missed beat is retried at the next interval
                logger.warning("heartbeat of job %s failed", self.job.id, exc_info=True)


def _error_details(error: BaseException) -> dict[str, str | None]:
    return {
        "type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    }
