"""The worker-pool conformance suite on the RQ pool, run as a third party runs it: one class per
way the workers run, each giving the suite its pool (on a queue of the test's own, on the test
Redis) and the URL that builds a second instance on the same queue."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rq_test_support import FAST_WORKERS

from chariots_core.testing.conformance import WorkerPoolConformance
from chariots_core.testing.pool_app import OpenPools
from chariots_rq import RQWorkerPool


class TestRQForkingWorkers(WorkerPoolConformance):
    """``rq.Worker``: each job in a forked work horse (killed at its timeout, or on stop)."""

    @pytest.fixture
    def worker_pool_url(self, rq_url: Callable[..., str]) -> str:
        return rq_url(fork="true", **FAST_WORKERS)

    @pytest.fixture
    def worker_pool(self, worker_pool_url: str, chariots_pools: OpenPools) -> RQWorkerPool:
        return chariots_pools(RQWorkerPool.from_url(worker_pool_url))


class TestRQSimpleWorkers(TestRQForkingWorkers):
    """``rq.SimpleWorker``: each job in the worker process itself."""

    @pytest.fixture
    def worker_pool_url(self, rq_url: Callable[..., str]) -> str:
        return rq_url(fork="false", **FAST_WORKERS)
