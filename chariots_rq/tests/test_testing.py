"""``chariots_rq.testing``: ``RQWorkerContext`` as the seed page uses it (no arguments, in the
process that built the app), with a pool or URL, and the private ``RedisServer``."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest
from redis import Redis

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing import TestPipelinesClient
from chariots_core.testing.polling import DEADLINE
from chariots_core.workers import _apps
from chariots_rq import RQWorkerPool
from chariots_rq.testing import RedisServer, RQWorkerContext


@pytest.fixture
def fresh_app_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the apps this test builds are registered (as in a fresh process): the apps of
    earlier tests stay out of ``RQWorkerContext()``'s way."""
    monkeypatch.setattr(_apps, "_apps", {})


def test_with_no_arguments_it_starts_workers_for_the_apps_rq_pool(
    pool: RQWorkerPool, make_app: Callable[..., PipelinesServer], fresh_app_registry: None
) -> None:
    app = make_app(pool)
    client = TestPipelinesClient(app)

    with RQWorkerContext() as context:
        assert pool in context.pools
        assert pool.n_workers == 1
        pids = pool.background_workers.pids
        assert len(pids) == 1
        response = client.call_pipeline("is_odd", 4, use_worker=True)
        assert str(response.job_status) == "JobStatus.queued"
        job = client.get_job(response.job_id, timeout=DEADLINE)
        assert (job.status, job.result) == (JobStatus.done, False)

    assert pool.n_workers == 0
    assert context.pools == []
    assert pool.background_workers.pids == []
    assert not any(os.path.exists(f"/proc/{pid}") for pid in pids)


def test_apps_sharing_a_queue_get_one_set_of_workers(
    pool: RQWorkerPool,
    make_pool: Callable[..., RQWorkerPool],
    make_app: Callable[..., PipelinesServer],
    fresh_app_registry: None,
) -> None:
    same_queue = make_pool()
    make_app(pool)
    make_app(same_queue)
    assert pool.url is not None
    make_app(pool.url)  # the same queue, named by a URL
    embedded = make_app("embedded://")  # another backend's pool: neither built nor started

    with RQWorkerContext(n=2) as context:
        assert len(context.pools) == 1
        assert context.pools[0].describe() == pool.describe()
        assert pool.n_workers == 2
    assert pool.n_workers == 0
    assert embedded._worker_pool is None


def test_a_pool_or_url_can_be_given(
    pool: RQWorkerPool, make_app: Callable[..., PipelinesServer]
) -> None:
    app = make_app(pool)

    with RQWorkerContext(pool, worker_options={"fork": False}) as context:
        assert context.pools == [pool]
        job = app.submit_job("add_one", 1)
        assert app.wait_for_job(job.id, DEADLINE).result == 2
    assert pool.n_workers == 0

    assert pool.url is not None
    with RQWorkerContext(pool.url) as context:
        (started,) = context.pools
        assert started is not pool
        assert started.describe() == pool.describe()
        assert pool.n_workers == 1
    assert pool.n_workers == 0


def test_entered_before_the_app_it_starts_workers_when_the_app_is_built(
    pool: RQWorkerPool, make_app: Callable[..., PipelinesServer], fresh_app_registry: None
) -> None:
    with RQWorkerContext() as context:  # the original chariots' order
        assert context.pools == []
        app = make_app(pool)
        assert context.pools == [pool]
        assert pool.n_workers == 1
        job = app.submit_job("add_one", 1)
        assert app.wait_for_job(job.id, DEADLINE).result == 2
    assert pool.n_workers == 0
    assert context.pools == []


def test_redis_server_runs_privately_and_stops_by_its_pid() -> None:
    with RedisServer() as server:
        assert server.process is not None
        pid = server.process.pid
        client = Redis.from_url(server.url)
        assert client.ping()
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        client.close()

    assert server.process is None
    assert not os.path.exists(f"/proc/{pid}")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5)
