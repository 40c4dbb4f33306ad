"""What one job costs the job store, counted (never timed): one write transaction to submit it,
two for a worker to run it (claim, finish), heartbeats only when one is due, and no plugin
imported in a forked work horse (the parent loaded them before it forked)."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import CacheStats

from chariots_core.database import Database
from chariots_core.jobs import JobMessage, JobStatus
from chariots_core.op_store import OpStore
from chariots_core.op_store.savers import FileSaver
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing.sql_count import count_statements
from chariots_core.workers import BaseWorkerPool, run_job
from chariots_core.workers import _plugins as plugins
from chariots_core.workers._runtime import warm_for_fork
from chariots_core.workers.embedded import EmbeddedWorkerPool
from chariots_core.workers.embedded._queue import _CANDIDATES_SQL
from chariots_core.workers.kit import run_in_work_horse


class NativeStatusPool(EmbeddedWorkerPool):
    """The embedded pool saying, as RQ does, what the backend calls a job it queues: beforehand
    too, so that its record is written with it."""

    def native_status_on_submit(self, message: JobMessage) -> str | None:
        return "queued"

    def submit(self, message: JobMessage) -> str | None:
        super().submit(message)
        return "queued"


class LateNativeStatusPool(EmbeddedWorkerPool):
    """A pool whose ``submit`` alone says what the backend calls the job: its record is
    written with that answer after ``submit``, a second write."""

    def submit(self, message: JobMessage) -> str | None:
        super().submit(message)
        return "queued"


class AddOne(BaseOp):
    def execute(self, number: int) -> int:
        return number + 1


class Double(BaseOp):
    def execute(self, number: int) -> int:
        return number * 2


def _app(tmp_path: Path, url: str, pool: BaseWorkerPool) -> PipelinesServer:
    """An app of two pipelines: ``add_one`` (one node) and ``add_then_double`` (two)."""
    add_one = Pipeline(
        [Node(AddOne(), input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")],
        "add_one",
    )
    add_then_double = Pipeline(
        [
            Node(AddOne(), input_nodes=["__pipeline_input__"], output_nodes="added"),
            Node(Double(), input_nodes=["added"], output_nodes="__pipeline_output__"),
        ],
        "add_then_double",
    )
    return PipelinesServer(
        [add_one, add_then_double],
        op_store_client=OpStore(url, FileSaver(tmp_path / "ops")),
        import_name=f"cost_test_{uuid.uuid4().hex[:8]}",
        worker_pool=pool,
    )


def _engine(app: PipelinesServer) -> Engine:
    assert app.job_store is not None
    return app.job_store.database.engine


@pytest.mark.parametrize(
    ("pool_class", "writes"),
    [(EmbeddedWorkerPool, 1), (NativeStatusPool, 1), (LateNativeStatusPool, 2)],
)
def test_submit_is_one_write_transaction(
    tmp_path: Path, sqlite_url: str, pool_class: type[EmbeddedWorkerPool], writes: int
) -> None:
    """The record and the embedded queue's row in one write; a native status the pool says
    beforehand (``native_status_on_submit``) in it too, one said by ``submit`` only after."""
    app = _app(tmp_path, sqlite_url, pool_class(autostart=0))
    app.submit_job("add_one", 1)  # the first job creates the schema
    with count_statements(_engine(app)) as seen:
        job = app.submit_job("add_one", 2)
    assert seen.writes == writes, seen.texts
    assert app.get_job(job.id).status is JobStatus.queued
    if pool_class is not EmbeddedWorkerPool:
        assert app.get_job(job.id).native_status == "queued"


def _queued_message(app: PipelinesServer, pipeline: str, value: Any) -> JobMessage:
    """A submitted job's message, taken off the embedded queue (as a worker would)."""
    job = app.submit_job(pipeline, value)
    pool = app.worker_pool
    assert isinstance(pool, EmbeddedWorkerPool)
    taken = pool.message_queue.take("cost-test-taker", datetime.now(timezone.utc))
    assert taken is not None
    pool.message_queue.delete(taken.row_id, "cost-test-taker")
    message = JobMessage.from_json(taken.text)
    assert message.job_id == job.id
    return message


def test_a_run_writes_its_claim_and_its_end_only(tmp_path: Path, sqlite_url: str) -> None:
    """No retry, no heartbeat due (the run is far shorter than the heartbeat interval): the
    worker claims the job and records its end, nothing more; it reads the record no more."""
    app = _app(tmp_path, sqlite_url, EmbeddedWorkerPool(autostart=0))
    run_job(_queued_message(app, "add_one", 0))  # a first run loads and caches the pipeline
    message = _queued_message(app, "add_one", 41)
    with count_statements(_engine(app)) as seen:
        outcome = run_job(message)
    assert outcome.status is JobStatus.done
    assert seen.writes <= 2, seen.texts
    assert len(seen.updates) == 2, seen.updates  # the claim and the end: no heartbeat
    # no read of the job's record around them (claim ... RETURNING; the end needs no options),
    # and no op-store query for a pipeline with nothing to load
    assert len(seen.queries) <= 2, seen.queries
    assert app.get_job(message.job_id).result == 42


def test_a_heartbeat_is_written_only_when_due(tmp_path: Path, sqlite_url: str) -> None:
    """A pipeline of several nodes beats no more between its nodes than its interval asks."""
    app = _app(tmp_path, sqlite_url, EmbeddedWorkerPool(autostart=0))
    run_job(_queued_message(app, "add_then_double", 0))
    message = _queued_message(app, "add_then_double", 1)
    with count_statements(_engine(app)) as seen:
        outcome = run_job(message, heartbeat_interval=3600)
    assert outcome.status is JobStatus.done
    assert len(seen.updates) == 2, seen.updates
    assert seen.writes <= 2, seen.texts
    assert app.get_job(message.job_id).progress == (2, 2)


def test_no_plugin_is_imported_in_a_forked_work_horse(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker loads the plugins' hooks before it forks: a horse inherits them and imports
    none (each horse importing every plugin cost hundreds of ms per job)."""
    registry = plugins._registry
    monkeypatch.setattr(registry, "_all_loaded", False)  # as in a worker that ran no job yet
    monkeypatch.setattr(registry, "_loaded", dict(registry._loaded))
    log = tmp_path / "plugin-loads.log"
    parent = os.getpid()
    real_load = type(registry)._load

    def logged_load(self: Any, entry_point: Any) -> Any:
        if entry_point.name not in self._loaded:
            with log.open("a") as out:
                out.write(f"{os.getpid()} {entry_point.name}\n")
        return real_load(self, entry_point)

    monkeypatch.setattr(type(registry), "_load", logged_load)
    app = _app(tmp_path, sqlite_url, EmbeddedWorkerPool(autostart=0))
    message = _queued_message(app, "add_one", 1)
    outcome = run_in_work_horse(message, "cost-test-worker")
    assert outcome.status is JobStatus.done
    loads = log.read_text().split("\n") if log.exists() else []
    in_horse = [line for line in loads if line and int(line.split()[0]) != parent]
    assert in_horse == [], f"plugins imported in the work horse: {in_horse}"


def test_a_forked_work_horse_compiles_none_of_the_job_paths_statements(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The worker warms itself before it forks (``prepare_fork``): a horse finds the claim and
    the end of a job compiled, and its pipeline loaded (compiling them in each horse cost
    milliseconds per job)."""
    app = _app(tmp_path, sqlite_url, EmbeddedWorkerPool(autostart=0))
    message = _queued_message(app, "add_one", 1)
    engine = _engine(app)
    log = tmp_path / "compiled-in-horse.log"
    parent = os.getpid()

    def record(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        context = rest[1]
        if os.getpid() != parent and context is not None and not _cache_hit(context):
            with log.open("a") as out:
                out.write(" ".join(statement.split()) + "\n")

    event.listen(engine, "after_cursor_execute", record)
    try:
        outcome = run_in_work_horse(message, "cost-test-worker")
    finally:
        event.remove(engine, "after_cursor_execute", record)
    assert outcome.status is JobStatus.done
    compiled = log.read_text().splitlines() if log.exists() else []
    assert compiled == [], f"statements compiled in the work horse: {compiled}"


def _cache_hit(context: Any) -> bool:
    """Whether a statement came compiled from the engine's cache (a driver-level statement, such
    as ``BEGIN``, is never compiled)."""
    return context.compiled is None or context.cache_hit is CacheStats.CACHE_HIT


def test_an_app_that_cannot_be_warmed_is_logged_once_not_at_every_fork(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Warming is an optimisation: an app whose job store fails (here its table is gone) is
    logged once, then left to its horses, not tried and logged again before every fork."""
    app = _app(tmp_path, sqlite_url, EmbeddedWorkerPool(autostart=0))
    store = app.job_store
    assert store is not None
    with store.database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE chariots_jobs")
    for _ in range(3):
        warm_for_fork()
    warnings = [
        r
        for r in caplog.records
        if r.getMessage() == f"could not warm app {app.name!r} before forking"
    ]
    assert len(warnings) == 1, f"logged {len(warnings)} times"


def test_a_take_reads_the_queue_in_the_order_of_an_index_without_sorting_it(
    sqlite_url: str,
) -> None:
    """The embedded queue's take reads its candidates in an index's order (migration 0009): it
    reads the few rows it considers, however many messages wait (the older index left it to
    sort all the waiting messages of the top priority at every take)."""
    database = Database(sqlite_url)
    database.ensure_created()
    now = datetime.now(timezone.utc)
    with database.connection(readonly=True) as connection:
        compiled = _CANDIDATES_SQL.compile(dialect=connection.dialect)
        values = compiled.construct_params({"p_queue": "default", "p_now": now, "p_live": now})
        assert compiled.positiontup is not None
        parameters = tuple(values[name] for name in compiled.positiontup)
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", parameters).all()
    details = [row[-1] for row in plan]
    assert any("ix_chariots_embedded_queue_order" in detail for detail in details), details
    assert not any("TEMP B-TREE" in detail for detail in details), details
