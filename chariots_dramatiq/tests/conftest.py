"""Fixtures of chariots-dramatiq's tests: a Redis and a RabbitMQ (the core's test services), a
queue of each test's own (its keys and queues removed at the end), pool URLs and pools."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pika
import pytest
from redis import Redis



from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import BaseWorkerPool
from chariots_dramatiq import DramatiqWorkerPool

#: this folder, on sys.path so that the test app imports by name here and in worker subprocesses
TESTS_FOLDER = Path(__file__).parent
if str(TESTS_FOLDER) not in sys.path:
    sys.path.insert(0, str(TESTS_FOLDER))

import dramatiq_test_app
from dramatiq_test_support import Command


@pytest.fixture
def queue_name() -> str:
    """A Dramatiq queue name of this test's own."""
    return f"chariots_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_client(chariots_redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(chariots_redis_url)
    yield client
    client.close()


@pytest.fixture
def redis_url(
    chariots_redis_url: str, queue_name: str, redis_client: Redis
) -> Iterator[Callable[..., str]]:
    """``redis_url(**query)``: a ``dramatiq+redis://`` URL on the test Redis and the test's queue;
    the queue's keys go at the end."""
    parts = urlsplit(chariots_redis_url)

    def make(**query: Any) -> str:
        params = urlencode({"queue": queue_name, **query})
        return f"dramatiq+{parts.scheme}://{parts.netloc}{parts.path or '/0'}?{params}"

    yield make
    keys = list(redis_client.scan_iter(match=f"*{queue_name}*", count=1000))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def amqp_url(chariots_rabbitmq_url: str, queue_name: str) -> Iterator[Callable[..., str]]:
    """``amqp_url(**query)``: a ``dramatiq+amqp://`` URL on the test RabbitMQ and the test's
    queue; the queue (and its delay and dead-letter queues) are deleted at the end."""
    parts = urlsplit(chariots_rabbitmq_url)

    def make(**query: Any) -> str:
        params = urlencode({"queue": queue_name, **query})
        return f"dramatiq+{parts.scheme}://{parts.netloc}/?{params}"

    yield make
    vhost = urlsplit(chariots_rabbitmq_url)._replace(path="/").geturl()
    connection = pika.BlockingConnection(pika.URLParameters(vhost))
    try:
        channel = connection.channel()
        for name in (queue_name, f"{queue_name}.DQ", f"{queue_name}.XQ"):
            channel.queue_delete(name)
    finally:
        connection.close()


@pytest.fixture
def make_pool() -> Iterator[Callable[[str], DramatiqWorkerPool]]:
    """``make_pool(url)``: a pool, closed (its workers stopped) at the end."""
    pools: list[DramatiqWorkerPool] = []

    def make(url: str) -> DramatiqWorkerPool:
        pool = DramatiqWorkerPool.from_url(url)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture
def command(tmp_path: Path) -> Iterator[Callable[..., Command]]:
    """``command(script, args, env)``: a command of this environment as a subprocess, killed at
    the end if it still runs."""
    started: list[Command] = []

    def start(script: str, args: list[str], env: dict[str, str]) -> Command:
        started.append(Command(script, args, env, tmp_path / f"{script}-{len(started)}.log"))
        return started[-1]

    yield start
    for process in started:
        process.kill()


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., PipelinesServer]:
    """``make_app(pool, heartbeat_timeout=30)``: the test app, its stores in ``tmp_path``, under
    a name of its own."""

    def make(pool: BaseWorkerPool | str, heartbeat_timeout: float = 30.0) -> PipelinesServer:
        name = f"dramatiq_test_app_{uuid.uuid4().hex[:8]}"
        return dramatiq_test_app.make_app(tmp_path / "store", name, pool, heartbeat_timeout)

    return make
