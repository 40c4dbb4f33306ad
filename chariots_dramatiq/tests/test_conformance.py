"""The worker-pool conformance suite on the Dramatiq pool, run as a third party runs it: on a
Redis broker (jobs in work horses, and in threads) and on a RabbitMQ broker (skipped, saying
why, where there is none; failed instead on CI)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from dramatiq_test_support import FAST, FAST_REDIS

from chariots_core.testing.conformance import WorkerPoolConformance
from chariots_dramatiq import DramatiqWorkerPool


class TestDramatiqRedisWorkHorses(WorkerPoolConformance):
    """Redis; each job in a forked work horse, killed at its timeout."""

    @pytest.fixture
    def worker_pool_url(self, redis_url: Callable[..., str]) -> str:
        return redis_url(fork="true", **FAST_REDIS)

    @pytest.fixture
    def worker_pool(
        self, worker_pool_url: str, make_pool: Callable[[str], DramatiqWorkerPool]
    ) -> DramatiqWorkerPool:
        return make_pool(worker_pool_url)


class TestDramatiqRedisThreads(TestDramatiqRedisWorkHorses):
    """Redis; each job in a Dramatiq worker thread."""

    @pytest.fixture
    def worker_pool_url(self, redis_url: Callable[..., str]) -> str:
        return redis_url(fork="false", **FAST_REDIS)


class TestDramatiqRabbitMQWorkHorses(TestDramatiqRedisWorkHorses):
    """RabbitMQ (priorities, redelivery); each job in a forked work horse."""

    @pytest.fixture
    def worker_pool_url(self, amqp_url: Callable[..., str]) -> str:
        return amqp_url(fork="true", **FAST)
