"""Fixtures of chariots-rq's tests: a Redis, a queue of each test's own, pools, apps, workers.

Redis: the core's test service (``chariots_redis_url``: ``$CHARIOTS_TEST_REDIS_URL`` if set, a
shared server, else a private ``redis-server`` for the session). Each test's queue is the kit's
``chariots_queue``: the keys of its queues and jobs go at the end. The app and its ``chariots
worker`` processes are the kit's (``chariots_pool_apps``: ``chariots_core.testing.pool_app``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis import Redis

from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.pool_app import OpenPools, PoolApps
from chariots_core.testing.queues import TestQueue
from chariots_rq import RQWorkerPool

# this folder on sys.path: the tests import their helpers by name (``from rq_test_support …``)
sys.path.insert(0, str(Path(__file__).parent))

from rq_test_support import FAST_WORKERS

#: the ``rq`` scheme of each scheme of a Redis URL
RQ_SCHEMES = {"redis": "rq", "rediss": "rq+rediss", "unix": "rq+unix"}


@pytest.fixture(scope="session")
def redis_url(chariots_redis_url: str) -> str:
    """``redis://host:port/db`` of the Redis the tests use."""
    return chariots_redis_url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def _forget_queues(redis_url: str, name: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        for member in client.smembers("rq:queues"):
            if name in member.decode():
                client.srem("rq:queues", member)
    finally:
        client.close()


@pytest.fixture
def queue_name(chariots_queue: TestQueue, redis_url: str) -> str:
    """This test's queue name; the keys of its queues and jobs go at the end."""
    chariots_queue.forget_redis_keys(redis_url)
    chariots_queue.on_cleanup(lambda: _forget_queues(redis_url, chariots_queue.name))
    return chariots_queue.name


@pytest.fixture
def rq_url(redis_url: str, queue_name: str, chariots_queue: TestQueue) -> Callable[..., str]:
    """``rq_url(**query)``: this test's ``rq://`` URL (its queue), with more query parameters."""
    parts = urlsplit(redis_url)
    base = parts._replace(scheme=RQ_SCHEMES[parts.scheme], path=parts.path or "/0").geturl()
    return lambda **query: chariots_queue.url(base, **query)


@pytest.fixture
def make_pool(rq_url: Callable[..., str], chariots_pools: OpenPools) -> Callable[..., RQWorkerPool]:
    """``make_pool(**query)``: a pool on this test's queue; closed (its workers stopped) at the
    end."""
    return lambda **query: chariots_pools(RQWorkerPool.from_url(rq_url(**query)))


@pytest.fixture
def pool(make_pool: Callable[..., RQWorkerPool]) -> RQWorkerPool:
    """A pool on this test's queue whose workers forget abandoned jobs and dead workers fast."""
    return make_pool(**FAST_WORKERS)


@pytest.fixture
def chariots_pool_apps(chariots_pool_apps: PoolApps, redis_client: Redis) -> Iterator[PoolApps]:
    """The kit's apps and ``chariots worker`` processes; the RQ keys of their jobs go at the
    end."""
    yield chariots_pool_apps
    for app in chariots_pool_apps.made:
        for job in app.list_jobs(limit=1000).jobs:
            keys = list(redis_client.scan_iter(match=f"rq:*{job.id}*", count=1000))
            if keys:
                redis_client.delete(*keys)


@pytest.fixture
def make_app(chariots_pool_apps: PoolApps) -> Callable[..., PipelinesServer]:
    """``make_app(pool, heartbeat_timeout=30)``: the kit's test app under a name of its own."""
    return chariots_pool_apps.make


@pytest.fixture
def app(pool: RQWorkerPool, make_app: Callable[..., PipelinesServer]) -> PipelinesServer:
    """The test app on ``pool`` (no worker started)."""
    return make_app(pool)
