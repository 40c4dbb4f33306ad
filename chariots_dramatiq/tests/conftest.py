"""Fixtures of chariots-dramatiq's tests: a Redis and a RabbitMQ (the core's test services), a
queue of each test's own (the kit's ``chariots_queue``: its keys and queues removed at the end),
pool URLs and pools; the app and its worker processes are the kit's (``chariots_pool_apps``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pika
import pytest

from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.pool_app import OpenPools, PoolApps
from chariots_core.testing.processes import Processes
from chariots_core.testing.queues import TestQueue
from chariots_dramatiq import DramatiqWorkerPool

#: this folder: on sys.path here and in worker subprocesses (the team's project imports by name)
TESTS_FOLDER = Path(__file__).parent
sys.path.insert(0, str(TESTS_FOLDER))

from dramatiq_test_support import AppAndWorker  # noqa: E402


@pytest.fixture
def queue_name(chariots_queue: TestQueue) -> str:
    """A Dramatiq queue name of this test's own."""
    return chariots_queue.name


@pytest.fixture
def redis_url(chariots_redis_url: str, chariots_queue: TestQueue) -> Callable[..., str]:
    """``redis_url(**query)``: a ``dramatiq+redis://`` URL on the test Redis and the test's queue;
    the queue's keys go at the end."""
    chariots_queue.forget_redis_keys(chariots_redis_url)
    return lambda **query: chariots_queue.url(f"dramatiq+{chariots_redis_url}", **query)


def _delete_amqp_queues(rabbitmq_url: str, queue_name: str) -> None:
    vhost = urlsplit(rabbitmq_url)._replace(path="/").geturl()
    connection = pika.BlockingConnection(pika.URLParameters(vhost))
    try:
        channel = connection.channel()
        for name in (queue_name, f"{queue_name}.DQ", f"{queue_name}.XQ"):
            channel.queue_delete(name)
    finally:
        connection.close()


@pytest.fixture
def amqp_url(chariots_rabbitmq_url: str, chariots_queue: TestQueue) -> Callable[..., str]:
    """``amqp_url(**query)``: a ``dramatiq+amqp://`` URL on the test RabbitMQ and the test's
    queue; the queue (and its delay and dead-letter queues) are deleted at the end."""
    chariots_queue.on_cleanup(
        lambda: _delete_amqp_queues(chariots_rabbitmq_url, chariots_queue.name)
    )
    base = urlsplit(chariots_rabbitmq_url)._replace(path="/", query="")
    return lambda **query: chariots_queue.url(f"dramatiq+{base.geturl()}", **query)


@pytest.fixture
def make_pool(chariots_pools: OpenPools) -> Callable[[str], DramatiqWorkerPool]:
    """``make_pool(url)``: a pool, closed (its workers stopped) at the end."""
    return lambda url: chariots_pools(DramatiqWorkerPool.from_url(url))


@pytest.fixture
def chariots_pool_apps(tmp_path: Path, chariots_processes: Processes) -> PoolApps:
    """The kit's apps; their worker processes import this folder's modules too."""
    return PoolApps(tmp_path, chariots_processes, pythonpath=[TESTS_FOLDER])


@pytest.fixture
def make_app(chariots_pool_apps: PoolApps) -> Callable[..., PipelinesServer]:
    """``make_app(pool, heartbeat_timeout=30)``: the test app under a name of its own."""
    return chariots_pool_apps.make


@pytest.fixture
def app_with_worker(
    make_pool: Callable[[str], DramatiqWorkerPool], chariots_pool_apps: PoolApps
) -> Callable[..., AppAndWorker]:
    """``app_with_worker(url, concurrency=1, heartbeat_timeout=30, counted=None)``: the test app
    on a pool from ``url`` and ``chariots worker`` for it, once the pool counts its workers
    (``counted``, else ``concurrency``): ``PoolApps.app_and_worker``."""

    def app_with_worker(url: str, *args: Any, **kwargs: Any) -> AppAndWorker:
        return chariots_pool_apps.app_and_worker(make_pool(url), url, *args, **kwargs)

    return app_with_worker
