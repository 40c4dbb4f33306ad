"""Fixtures of chariots-celery's tests: the brokers (a private Redis, RabbitMQ when it answers), a
queue of each test's own (removed at the end), pools, apps, ``chariots worker`` processes.

Redis: ``$CHARIOTS_TEST_REDIS_URL`` if set, else a private ``redis-server`` for the session.
RabbitMQ: ``$CHARIOTS_TEST_RABBITMQ_URL`` or ``amqp://guest:guest@127.0.0.1:5672//``; its tests
skip, saying why, when it does not answer (they fail instead where services are required).
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
from amqp.exceptions import NotFound
from kombu import Connection
from redis import Redis



from chariots_celery import CeleryWorkerPool
from chariots_core.pipelines import PipelinesServer

#: this folder, on sys.path so that the test app imports by name here and in worker subprocesses
TESTS_FOLDER = Path(__file__).parent
if str(TESTS_FOLDER) not in sys.path:
    sys.path.insert(0, str(TESTS_FOLDER))

import celery_test_app
from celery_test_support import CLIWorker

BROKERS = ("redis", "amqp")


@pytest.fixture
def queue_name() -> str:
    """A queue name of this test's own."""
    return f"chariots-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_pool_url(chariots_redis_url: str, queue_name: str) -> Iterator[Callable[..., str]]:
    """``redis_pool_url(**query)``: a ``celery+redis://`` URL on this test's queue; what the
    queue left in Redis goes at the end."""
    parts = urlsplit(chariots_redis_url)

    def make(**query: Any) -> str:
        params = urlencode({"queue": queue_name, **query})
        return f"celery+{parts.scheme}://{parts.netloc}{parts.path or '/0'}?{params}"

    yield make
    client = Redis.from_url(chariots_redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{queue_name}*", count=1000))
        if keys:
            client.delete(*keys)
        for tag, payload in client.hscan_iter("unacked"):  # messages held by killed workers
            if queue_name.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


#: the exchanges Celery declares on RabbitMQ for its remote control and its events
CELERY_EXCHANGES = ("celery.pidbox", "reply.celery.pidbox", "celeryev")


def _exchange_exists(url: str, name: str) -> bool:
    with Connection(url) as connection:
        try:
            connection.default_channel.exchange_declare(name, "fanout", passive=True)
        except NotFound:
            return False
        return True


@pytest.fixture(scope="session")
def rabbitmq_url(chariots_rabbitmq_url: str) -> Iterator[str]:
    """The RabbitMQ of the tests; Celery's own exchanges, declared by the session's workers, are
    deleted at its end (unless they were there before)."""
    existed = {name for name in CELERY_EXCHANGES if _exchange_exists(chariots_rabbitmq_url, name)}
    yield chariots_rabbitmq_url
    with Connection(chariots_rabbitmq_url) as connection:
        for name in set(CELERY_EXCHANGES) - existed:
            connection.default_channel.exchange_delete(name)


@pytest.fixture
def amqp_pool_url(rabbitmq_url: str, queue_name: str) -> Iterator[Callable[..., str]]:
    """``amqp_pool_url(**query)``: a ``celery+amqp://`` URL on this test's queue; its queues and
    exchanges are deleted at the end."""

    def make(**query: Any) -> str:
        return f"celery+{rabbitmq_url}?{urlencode({'queue': queue_name, **query})}"

    yield make
    with Connection(rabbitmq_url) as connection:
        channel = connection.default_channel
        for name in (queue_name, f"{queue_name}-default"):
            channel.queue_delete(name)
            channel.exchange_delete(name)


@pytest.fixture(params=BROKERS)
def pool_url(request: pytest.FixtureRequest) -> Callable[..., str]:
    """``pool_url(**query)`` on each broker in turn."""
    fixture = {"redis": "redis_pool_url", "amqp": "amqp_pool_url"}[request.param]
    make: Callable[..., str] = request.getfixturevalue(fixture)
    return make


@pytest.fixture
def open_pool() -> Iterator[Callable[[str], CeleryWorkerPool]]:
    """``open_pool(url)``: a pool from ``url``; its workers stop and it closes at the end."""
    pools: list[CeleryWorkerPool] = []

    def make(url: str) -> CeleryWorkerPool:
        pool = CeleryWorkerPool.from_url(url)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture
def make_pool(
    pool_url: Callable[..., str], open_pool: Callable[[str], CeleryWorkerPool]
) -> Callable[..., CeleryWorkerPool]:
    """``make_pool(**query)``: a pool on this test's queue, on each broker in turn."""
    return lambda **query: open_pool(pool_url(**query))


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., PipelinesServer]:
    """``make_app(pool, heartbeat_timeout=30)``: the test app, its stores in ``tmp_path``, under a
    name of its own."""

    def make(pool: CeleryWorkerPool | str, heartbeat_timeout: float = 30.0) -> PipelinesServer:
        name = f"celery_test_app_{uuid.uuid4().hex[:8]}"
        return celery_test_app.make_app(tmp_path / "store", name, pool, heartbeat_timeout)

    return make


@pytest.fixture
def worker_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """``worker_env(app, pool_url, heartbeat_timeout=30)``: the environment of a worker process
    that builds the test app ``app`` (same name and stores) on ``pool_url``."""

    def make(app: PipelinesServer, url: str, heartbeat_timeout: float = 30.0) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHARIOTS_")}
        env.update(
            PYTHONPATH=os.pathsep.join([str(TESTS_FOLDER), env.get("PYTHONPATH", "")]),
            PYTHONUNBUFFERED="1",
            CHARIOTS_CELERY_TEST_STORE=str(tmp_path / "store"),
            CHARIOTS_CELERY_TEST_APP=app.name,
            CHARIOTS_CELERY_TEST_POOL=url,
            CHARIOTS_CELERY_TEST_HEARTBEAT_TIMEOUT=str(heartbeat_timeout),
        )
        return env

    return make


@pytest.fixture
def cli_worker(
    tmp_path: Path, worker_env: Callable[..., dict[str, str]]
) -> Iterator[Callable[..., CLIWorker]]:
    """``cli_worker(app, pool_url, concurrency=1, heartbeat_timeout=30)``: ``chariots worker``
    for the test app on ``pool_url``; killed at the end if still running."""
    started: list[CLIWorker] = []

    def start(
        app: PipelinesServer, pool_url: str, concurrency: int = 1, heartbeat_timeout: float = 30.0
    ) -> CLIWorker:
        args = ["worker", "--app", "celery_test_app:app", "--pool", pool_url]
        worker = CLIWorker(
            "chariots",
            [*args, "--concurrency", str(concurrency)],
            worker_env(app, pool_url, heartbeat_timeout),
            tmp_path / f"worker-{len(started)}.log",
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
