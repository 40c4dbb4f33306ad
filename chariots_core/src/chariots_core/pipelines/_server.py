"""`PipelinesServer`: a Flask app that serves an app's pipelines and their jobs over HTTP."""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chariots_core import __version__
from chariots_core._json import strict_jsonable
from chariots_core._serving import DEFAULT_MAX_REQUEST_BYTES, JsonApiServer
from chariots_core._serving._tokens import TokenSetting
from chariots_core.errors import (
    ChariotsError,
    NotStrictJSON,
    OutputNotJSON,
    PipelineExecutionError,
    PipelineNotFound,
    WorkerPoolError,
)
from chariots_core.jobs import (
    DEFAULT_HEARTBEAT_TIMEOUT,
    Job,
    JobMessage,
    JobOptions,
    JobPage,
    JobStatus,
    JobStore,
)
from chariots_core.op_store import BaseOpStoreClient
from chariots_core.pipeline_model import Pipeline
from chariots_core.pipeline_model.callbacks import PipelineCallback
from chariots_core.pipeline_model.runners import BaseRunner, SequentialRunner
from chariots_core.pipelines._listeners import ListenerCheck
from chariots_core.pipelines._response import PipelineResponse
from chariots_core.pipelines._routes import MEANINGS, SCHEMAS, pipelines_operations
from chariots_core.pipelines._use_worker import should_use_worker
from chariots_core.workers import (
    BaseWorkerPool,
    JobRecovery,
    PoolContext,
    default_worker_pool,
    get_worker_pool,
    lifecycle_hooks,
    register_app,
)
from chariots_core.workers._submitted import submitted_status

if TYPE_CHECKING:
    from chariots_core.database import Database

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "PipelinesServer"]


class PipelinesServer(JsonApiServer):
    """Serves ``app_pipelines`` over HTTP, loading and saving them against an op store, and runs
    the calls that ask for it as jobs on a worker pool.

    Routes (see ``GET /openapi.json``): ``POST /pipelines/<name>/main|load|save|versions``,
    ``GET /pipelines/<name>/health_check``, ``GET /health_check``, ``GET /available_pipelines``,
    ``POST /jobs/fetch/``, ``GET /jobs``, ``GET /jobs/<id>``, ``GET /jobs/<id>/wait``,
    ``POST /jobs/<id>/cancel``. Errors answer as JSON ``{"error": type, "message": text}``,
    never with a traceback; inputs and outputs are strict JSON (an output holding NaN is a 422
    naming where it is).

    Security (see ``docs/security.md``): ``api_tokens`` and ``readonly_api_tokens`` are the
    bearer tokens accepted, each a list or a string separated by commas; left ``None``, they are
    read from ``CHARIOTS_API_TOKENS`` and ``CHARIOTS_API_READONLY_TOKENS``. With no token at all
    every route is open. A read-only token may call pipelines and read jobs, not load, save or
    cancel (403); ``GET /health_check`` and ``GET /openapi.json`` need no token.
    ``max_request_bytes`` bounds a request body (413 beyond, chunked bodies too).

    A call runs in a worker when the three-level rule says so (``use_workers`` here,
    ``use_worker`` on the pipeline and on the request: any ``False`` wins, then any ``True``).
    ``worker_pool`` is a pool, a backend name or URL, a ``package.module:Class`` path, or
    ``None`` for the ``CHARIOTS_WORKER_POOL`` environment variable or else the embedded pool.
    ``job_store`` defaults to a job store on the op store's database.
    """

    def __init__(
        self,
        app_pipelines: Sequence[Pipeline],
        op_store_client: BaseOpStoreClient,
        import_name: str,
        runner: BaseRunner | None = None,
        default_pipeline_callbacks: Sequence[PipelineCallback] | None = None,
        worker_pool: BaseWorkerPool | str | type[BaseWorkerPool] | None = None,
        use_workers: bool | None = None,
        *,
        job_store: JobStore | str | None = None,
        heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        api_tokens: TokenSetting = None,
        readonly_api_tokens: TokenSetting = None,
        **flask_kwargs: Any,
    ) -> None:
        super().__init__(
            import_name,
            api_tokens=api_tokens,
            readonly_api_tokens=readonly_api_tokens,
            max_request_bytes=max_request_bytes,
            **flask_kwargs,
        )
        if use_workers is not None and not isinstance(use_workers, bool):
            raise TypeError(f"use_workers must be True, False or None, not {use_workers!r}")
        self.pipelines: dict[str, Pipeline] = {}
        for pipeline in app_pipelines:
            if not isinstance(pipeline, Pipeline):
                raise TypeError(f"app_pipelines must hold Pipeline objects, not {pipeline!r}")
            if pipeline.name in self.pipelines:
                raise ValueError(f"two pipelines of this app are named {pipeline.name!r}")
            self.pipelines[pipeline.name] = pipeline
        self.op_store_client = op_store_client
        self.runner: BaseRunner = runner or SequentialRunner()
        self.default_pipeline_callbacks = list(default_pipeline_callbacks or [])
        self.use_workers = use_workers
        self.job_store = _job_store(job_store, op_store_client, heartbeat_timeout)
        self._worker_pool_spec = worker_pool
        self._worker_pool: BaseWorkerPool | None = None
        self._recovery: JobRecovery | None = None
        self._pool_lock = threading.Lock()
        self._listeners = ListenerCheck()
        self._loaded: set[str] = set()
        self._load_lock = threading.Lock()
        for pipeline in self.pipelines.values():
            op_store_client.register_new_pipeline(pipeline.name, pipeline.op_names())
        self.serve_operations(
            pipelines_operations(self),
            title=f"chariots app {self.name}",
            version=__version__,
            schemas=SCHEMAS,
            meanings=MEANINGS,
        )
        register_app(self)
        if isinstance(worker_pool, BaseWorkerPool):  # a pool in hand is ready to start workers
            worker_pool.attach(self.pool_context())
            self._worker_pool = worker_pool

    # -- pipelines ------------------------------------------------------------------------------

    def get_pipeline(self, name: str) -> Pipeline:
        try:
            return self.pipelines[name]
        except KeyError:
            raise PipelineNotFound(
                f"no pipeline named {name!r} in this app (available: {sorted(self.pipelines)})"
            ) from None

    def call_pipeline(
        self,
        name: str,
        pipeline_input: Any = None,
        use_worker: bool | None = None,
        job_options: JobOptions | None = None,
    ) -> PipelineResponse:
        """Run a pipeline here, or submit it as a job when the three-level rule says so."""
        pipeline = self.get_pipeline(name)
        if should_use_worker(self.use_workers, pipeline.use_worker, use_worker):
            job, warnings = self._submit(name, pipeline_input, job_options)
            return PipelineResponse(None, job_id=job.id, job_status=job.status, warnings=warnings)
        try:
            output = self.runner.run(pipeline, pipeline_input, self.default_pipeline_callbacks)
        except ChariotsError:
            raise
        except Exception as error:
            logger.exception("pipeline %r failed", name)
            raise PipelineExecutionError(
                f"pipeline {name!r} failed: {type(error).__name__}: {error}"
            ) from error
        try:
            value = strict_jsonable(output, "result")
        except TypeError as error:
            raise PipelineExecutionError(f"pipeline {name!r} gave {error}") from None
        except NotStrictJSON as error:
            raise OutputNotJSON(
                f"pipeline {name!r} gave an output that is not strict JSON: {error}"
            ) from None
        return PipelineResponse(value, pipeline.get_pipeline_versions(), job_status=JobStatus.done)

    def load_pipeline(self, name: str) -> None:
        pipeline = self.get_pipeline(name)
        with self._load_lock:
            pipeline.load(self.op_store_client)
            self._loaded.add(name)

    def save_pipeline(self, name: str) -> None:
        pipeline = self.get_pipeline(name)
        with self._load_lock:
            pipeline.save(self.op_store_client)

    def is_pipeline_loaded(self, name: str) -> bool:
        self.get_pipeline(name)
        return name in self._loaded

    # -- jobs -----------------------------------------------------------------------------------

    @property
    def worker_pool(self) -> BaseWorkerPool:
        """The app's pool, built on first use (the embedded pool when none was configured)."""
        with self._pool_lock:
            if self._worker_pool is None:
                spec = self._worker_pool_spec
                pool = default_worker_pool() if spec is None else get_worker_pool(spec)
                pool.attach(self.pool_context())
                self._worker_pool = pool
            return self._worker_pool

    def pool_context(self) -> PoolContext:
        """What this app tells the pool it adopts (see
        :meth:`~chariots_core.workers.BaseWorkerPool.attach`)."""
        return PoolContext(self.name, job_store=self.job_store)

    @property
    def worker_pool_spec(self) -> BaseWorkerPool | str | type[BaseWorkerPool] | None:
        """The pool as it was configured (``None``: the default pool, made when needed)."""
        return self._worker_pool_spec

    @property
    def has_worker_pool(self) -> bool:
        """Whether a pool was given (else the default one is made when a job needs it)."""
        return self._worker_pool_spec is not None or self._worker_pool is not None

    def _jobs(self) -> JobStore:
        if self.job_store is None:
            raise WorkerPoolError(
                f"app {self.name!r} has no job store: its op store client keeps no database "
                "here, so give PipelinesServer a job_store (a JobStore or a database URL)"
            )
        return self.job_store

    def submit_job(
        self, name: str, pipeline_input: Any = None, job_options: JobOptions | None = None
    ) -> Job:
        """Record a job for the pipeline and hand its message to the worker pool (a warning is
        logged when no worker listens on the pool)."""
        return self._submit(name, pipeline_input, job_options)[0]

    def _submit(
        self, name: str, pipeline_input: Any, job_options: JobOptions | None
    ) -> tuple[Job, list[str]]:
        """The job submitted, and the warnings its submitter should read."""
        self.get_pipeline(name)
        store = self._jobs()
        message = JobMessage(
            uuid.uuid4().hex, self.name, name, pipeline_input, job_options or JobOptions()
        )
        message.canonical_body()  # refuses an input that is not JSON before any record
        pool = self.worker_pool
        # one write: the record, with what the backend will call the job when the pool knows it
        # beforehand (and, for a queue that lives in the job store's database, the embedded
        # pool's, the job's message in that queue)
        upfront = pool.native_status_on_submit(message)
        job = store.create_for(message, native_status=upfront, queued_by=pool)
        try:
            native_status = submitted_status(pool, pool.submit(message))
        except Exception as error:
            store.fail_unstarted(
                job.id, {"type": type(error).__name__, "message": str(error), "traceback": None}
            )
            raise WorkerPoolError(
                f"the worker pool ({pool.describe()}) refused job {job.id}: "
                f"{type(error).__name__}: {error}"
            ) from error
        if native_status is not None and native_status != upfront:
            store.set_native_status(job.id, native_status)
        lifecycle_hooks().chariots_job_submitted(job=job)
        warning = self._listeners.warning(pool, job.id)
        # the job as submitted: a fast worker may hold it already, but a submission answers
        # that it was queued (re-reading the record here made that answer a race)
        submitted = dataclasses.replace(job, native_status=native_status)
        return submitted, [] if warning is None else [warning]

    def get_job(self, job_id: str) -> Job:
        self.recover_jobs()
        return self._jobs().get(job_id)

    def wait_for_job(self, job_id: str, timeout: float) -> Job:
        """The job once finished, or as it stands after ``timeout`` seconds: then its status is
        not finished (``job.status.is_finished`` is false), and over HTTP the answer says
        ``"timed_out": true``."""
        return self._jobs().wait(job_id, timeout, tick=self.recover_jobs)

    def recover_jobs(self) -> None:
        """Send again the messages of jobs whose worker died or whose broker lost them (see
        :func:`chariots_core.workers.recover_jobs`), at most once per interval; reading jobs
        does it, so does ``chariots worker``. Only once this app's pool is in use."""
        if self._recovery is None:
            if self._worker_pool is None or self.job_store is None:
                return
            self._recovery = JobRecovery(self.job_store, self._worker_pool)
        self._recovery.maybe_run()

    def cancel_job(self, job_id: str) -> Job:
        """Cancel a queued job (also on its backend) or ask a running one to stop."""
        job = self._jobs().cancel(job_id)
        if job.status is JobStatus.cancelled or job.cancel_requested:
            try:
                self.worker_pool.cancel(job_id)
            except Exception:
                logger.warning("the pool could not revoke job %s natively", job_id, exc_info=True)
        return job

    def list_jobs(self, **filters: Any) -> JobPage:
        """A page of this app's jobs (see :meth:`~chariots_core.jobs.JobStore.list_jobs`)."""
        self.recover_jobs()
        return self._jobs().list_jobs(app=self.name, **filters)


def _job_store(
    job_store: JobStore | str | None,
    op_store_client: BaseOpStoreClient,
    heartbeat_timeout: float,
) -> JobStore | None:
    if isinstance(job_store, JobStore):
        return job_store
    if isinstance(job_store, str):
        return JobStore(job_store, heartbeat_timeout=heartbeat_timeout)
    database: Database | None = getattr(op_store_client, "db", None)
    if database is None:  # TestOpStoreClient: the store behind its in-process server
        database = getattr(getattr(op_store_client, "server", None), "db", None)
    if database is None:
        return None
    return JobStore(database, heartbeat_timeout=heartbeat_timeout)
