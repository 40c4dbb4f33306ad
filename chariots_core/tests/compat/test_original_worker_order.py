"""The original chariots' order of a worker context and the app: the context is entered first,
the app built inside it (``with RQWorkerContext(): app = PipelinesServer(...,
worker_pool=RQWorkerPool(redis=...))``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestOpStoreClient, TestPipelinesClient, WorkerContext
from chariots_core.workers import _apps

DEADLINE_SECONDS = 60.0


class IsEven(BaseOp):
    def execute(self, numbers: list[int]) -> list[bool]:
        return [not number % 2 for number in numbers]


def is_even_pipeline() -> Pipeline:
    return Pipeline(
        [Node(IsEven(), input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")],
        name="is_even",
    )


@pytest.fixture
def fresh_app_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the apps this test builds are registered, as in a fresh process."""
    monkeypatch.setattr(_apps, "_apps", {})


def make_app(path: Path, worker_pool: object) -> PipelinesServer:
    return PipelinesServer(
        [is_even_pipeline()],
        op_store_client=TestOpStoreClient(path),
        import_name=f"compat_app_{uuid.uuid4().hex[:8]}",
        worker_pool=worker_pool,  # type: ignore[arg-type]
    )


def run_on_a_worker(app: PipelinesServer) -> None:
    client = TestPipelinesClient(app)
    response = client.call_pipeline("is_even", list(range(6)), use_worker=True)
    assert response.job_status == JobStatus.queued
    job = client.get_job(str(response.job_id), timeout=DEADLINE_SECONDS)
    assert (job.status, job.result) == (JobStatus.done, [True, False] * 3)


def test_an_embedded_pool_gets_workers_when_its_app_is_built_in_the_block(
    tmp_path: Path, fresh_app_registry: None
) -> None:
    with WorkerContext(backend="embedded") as context:
        assert context.pools == []
        app = make_app(tmp_path, "embedded")
        assert [pool.backend for pool in context.pools] == ["embedded"]
        assert context.n_workers == 1
        run_on_a_worker(app)
    assert context.pools == []


def test_apps_of_another_backend_or_without_a_pool_get_no_workers(
    tmp_path: Path, fresh_app_registry: None
) -> None:
    with WorkerContext(backend="rq") as context:
        make_app(tmp_path / "embedded", "embedded")
        make_app(tmp_path / "default", None)
        assert context.pools == []


@pytest.fixture
def rq_pool_factory(chariots_redis_url: str) -> Iterator[object]:
    """``factory()``: an RQ pool (the chariots-rq plugin) on the tests' Redis, on a queue of
    this test's own, built with a Redis client as the original's tests built it."""
    rq_pool_module = pytest.importorskip("chariots_rq.pool")
    from redis import Redis

    queue = f"compat-{uuid.uuid4().hex[:8]}"
    pools: list[object] = []

    def factory() -> object:
        pool = rq_pool_module.RQWorkerPool(redis=Redis.from_url(chariots_redis_url), queue=queue)
        pools.append(pool)
        return pool

    yield factory
    for pool in pools:
        pool.close()  # type: ignore[attr-defined]


def test_rq_worker_context_entered_before_the_app(
    tmp_path: Path, fresh_app_registry: None, rq_pool_factory: object
) -> None:
    from chariots_core.testing import RQWorkerContext

    with RQWorkerContext() as context:
        app = make_app(tmp_path, rq_pool_factory())  # type: ignore[operator]
        assert context.n_workers == 1
        run_on_a_worker(app)


def test_an_app_built_later_in_the_block_is_known_to_the_workers(
    tmp_path: Path, fresh_app_registry: None, rq_pool_factory: object
) -> None:
    from chariots_core.testing import RQWorkerContext

    with RQWorkerContext() as context:
        first = make_app(tmp_path / "first", rq_pool_factory())  # type: ignore[operator]
        run_on_a_worker(first)
        # a second pool alike (same Redis, same queue): its workers restart to know the new app
        second = make_app(tmp_path / "second", rq_pool_factory())  # type: ignore[operator]
        assert len(context.pools) == 1
        assert context.n_workers == 1
        run_on_a_worker(second)
        run_on_a_worker(first)
