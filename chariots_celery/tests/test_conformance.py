"""The worker-pool conformance suite on the Celery pool, run as a third party runs it: one class
per broker, each giving the suite its pool (on a queue of the test's own) and the URL that builds
a second instance on the same queue. Without RabbitMQ, its class skips, saying why (it fails
where services are required, as on CI)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chariots_celery import CeleryWorkerPool
from chariots_core.testing.conformance import WorkerPoolConformance


class TestCeleryOnRedis(WorkerPoolConformance):
    """Celery on Redis: a killed worker's job ends lost (its message comes back only after the
    visibility timeout)."""

    @pytest.fixture
    def worker_pool_url(self, redis_pool_url: Callable[..., str]) -> str:
        return redis_pool_url()

    @pytest.fixture
    def worker_pool(
        self, worker_pool_url: str, open_pool: Callable[[str], CeleryWorkerPool]
    ) -> CeleryWorkerPool:
        return open_pool(worker_pool_url)


class TestCeleryOnRabbitMQ(TestCeleryOnRedis):
    """Celery on RabbitMQ: a killed worker's job runs again on another worker (redelivery)."""

    @pytest.fixture
    def worker_pool_url(self, amqp_pool_url: Callable[..., str]) -> str:
        return amqp_pool_url()
