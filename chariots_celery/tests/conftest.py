"""Fixtures of chariots-celery's tests: the brokers (a private Redis, RabbitMQ when it answers), a
queue of each test's own (removed at the end), pools, apps, ``chariots worker`` processes.

Redis: ``$CHARIOTS_TEST_REDIS_URL`` if set, else a private ``redis-server`` for the session.
RabbitMQ: ``$CHARIOTS_TEST_RABBITMQ_URL`` or ``amqp://guest:guest@127.0.0.1:5672//``; its tests
skip, saying why, when it does not answer (they fail instead where services are required). The
queue, the app and the processes are the kit's (``chariots_queue``, ``chariots_pool_apps``, with
the pipelines of ``celery_test_app``; ``chariots_processes``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from amqp.exceptions import NotFound
from kombu import Connection
from redis import Redis

from chariots_celery import CeleryWorkerPool
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.pool_app import OpenPools, PoolApps
from chariots_core.testing.processes import Processes
from chariots_core.testing.queues import TestQueue

#: this folder: on sys.path here and in worker subprocesses (the test app imports by name)
TESTS_FOLDER = Path(__file__).parent
sys.path.insert(0, str(TESTS_FOLDER))

from celery_test_app import PIPELINES  # noqa: E402

BROKERS = ("redis", "amqp")


@pytest.fixture
def queue_name(chariots_queue: TestQueue) -> str:
    """A queue name of this test's own."""
    return chariots_queue.name


def _forget_unacked(redis_url: str, queue_name: str) -> None:
    """Forget the messages of the queue that killed workers held."""
    client = Redis.from_url(redis_url)
    try:
        for tag, payload in client.hscan_iter("unacked"):
            if queue_name.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


@pytest.fixture
def redis_pool_url(chariots_redis_url: str, chariots_queue: TestQueue) -> Callable[..., str]:
    """``redis_pool_url(**query)``: a ``celery+redis://`` URL on this test's queue; what the
    queue left in Redis goes at the end."""
    chariots_queue.forget_redis_keys(chariots_redis_url)
    chariots_queue.on_cleanup(lambda: _forget_unacked(chariots_redis_url, chariots_queue.name))
    return lambda **query: chariots_queue.url(f"celery+{chariots_redis_url}", **query)


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


def _delete_amqp_queue(rabbitmq_url: str, queue_name: str) -> None:
    with Connection(rabbitmq_url) as connection:
        channel = connection.default_channel
        for name in (queue_name, f"{queue_name}-default"):
            channel.queue_delete(name)
            channel.exchange_delete(name)


@pytest.fixture
def amqp_pool_url(rabbitmq_url: str, chariots_queue: TestQueue) -> Callable[..., str]:
    """``amqp_pool_url(**query)``: a ``celery+amqp://`` URL on this test's queue; its queues and
    exchanges are deleted at the end."""
    chariots_queue.on_cleanup(lambda: _delete_amqp_queue(rabbitmq_url, chariots_queue.name))
    return lambda **query: chariots_queue.url(f"celery+{rabbitmq_url}", **query)


@pytest.fixture(params=BROKERS)
def pool_url(request: pytest.FixtureRequest) -> Callable[..., str]:
    """``pool_url(**query)`` on each broker in turn."""
    make: Callable[..., str] = request.getfixturevalue(f"{request.param}_pool_url")
    return make


@pytest.fixture
def open_pool(chariots_pools: OpenPools) -> Callable[[str], CeleryWorkerPool]:
    """``open_pool(url)``: a pool from ``url``; its workers stop and it closes at the end."""
    return lambda url: chariots_pools(CeleryWorkerPool.from_url(url))


@pytest.fixture
def make_pool(
    pool_url: Callable[..., str], open_pool: Callable[[str], CeleryWorkerPool]
) -> Callable[..., CeleryWorkerPool]:
    """``make_pool(**query)``: a pool on this test's queue, on each broker in turn."""
    return lambda **query: open_pool(pool_url(**query))


@pytest.fixture
def pool_on(
    request: pytest.FixtureRequest, open_pool: Callable[[str], CeleryWorkerPool]
) -> Callable[..., CeleryWorkerPool]:
    """``pool_on(broker, **query)``: a pool on this test's queue on ``broker`` (one of
    ``BROKERS``); only that broker's fixtures are used."""

    def pool_on(broker: str, **query: str | float) -> CeleryWorkerPool:
        url: Callable[..., str] = request.getfixturevalue(f"{broker}_pool_url")
        return open_pool(url(**query))

    return pool_on


@pytest.fixture
def chariots_pool_apps(tmp_path: Path, chariots_processes: Processes) -> PoolApps:
    """The kit's apps, with ``celery_test_app``'s pipelines (in worker processes too)."""
    return PoolApps(tmp_path, chariots_processes, pipelines=PIPELINES, pythonpath=[TESTS_FOLDER])


@pytest.fixture
def make_app(chariots_pool_apps: PoolApps) -> Callable[..., PipelinesServer]:
    """``make_app(pool, heartbeat_timeout=30)``: the test app under a name of its own."""
    return chariots_pool_apps.make


@pytest.fixture
def make_working_app(
    make_pool: Callable[..., CeleryWorkerPool], chariots_pool_apps: PoolApps
) -> Callable[..., PipelinesServer]:
    """``make_working_app(**query)``: the test app on a pool of this test's queue (``query``: its
    options), on each broker in turn, one worker started."""

    def make_working_app(**query: str | float) -> PipelinesServer:
        pool = make_pool(**query)
        app = chariots_pool_apps.make(pool)
        pool.start_workers(1)
        return app

    return make_working_app
