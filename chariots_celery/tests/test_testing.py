"""``chariots_celery.testing.CeleryWorkerContext``: real Celery workers for a ``with`` block, for
the Celery pools of the apps built in this process, or for the pool or URL given."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chariots_celery import CeleryWorkerPool
from chariots_celery.testing import CeleryWorkerContext
from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing import TestPipelinesClient
from chariots_core.testing.polling import DEADLINE
from chariots_core.workers import _apps


@pytest.fixture
def fresh_app_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the apps this test builds are registered (as in a fresh process)."""
    monkeypatch.setattr(_apps, "_apps", {})


def test_with_no_arguments_it_starts_a_worker_for_the_apps_celery_pool(
    pool_on: Callable[..., CeleryWorkerPool],
    make_app: Callable[..., PipelinesServer],
    fresh_app_registry: None,
) -> None:
    pool = pool_on("redis")
    client = TestPipelinesClient(make_app(pool))

    with CeleryWorkerContext(n=2) as context:
        assert context.pools == [pool]
        response = client.call_pipeline("add_one", 4, use_worker=True)
        assert response.job_status is JobStatus.queued
        done = client.wait_for_job(response.job_id, timeout=DEADLINE)
        assert (done.job_status, done.value) == (JobStatus.done, 5)
        assert context.n_workers == 2
    assert pool.n_workers == 0


def test_a_url_names_the_pool(
    redis_pool_url: Callable[..., str],
    open_pool: Callable[[str], CeleryWorkerPool],
    make_app: Callable[..., PipelinesServer],
) -> None:
    url = redis_pool_url()
    app = make_app(open_pool(url))

    with CeleryWorkerContext(url, stop_timeout=10):
        done = app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE)
    assert (done.status, done.result) == (JobStatus.done, 2)
