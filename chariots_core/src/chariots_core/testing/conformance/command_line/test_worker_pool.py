"""The suite on the pool ``--chariots-worker-pool URL`` names (collected by the chariots pytest
plugin when the option is given; its tests skip without it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chariots_core.testing.conformance import WorkerPoolConformance
from chariots_core.workers import BaseWorkerPool, get_worker_pool


class TestWorkerPoolConformance(WorkerPoolConformance):
    """The conformance suite on the pool named on the command line; a second instance (for
    the tests of two servers) is built from the same URL."""

    @pytest.fixture
    def worker_pool_url(self, pytestconfig: pytest.Config) -> str:
        spec = pytestconfig.getoption("chariots_worker_pool")
        if not spec:
            pytest.skip("run with --chariots-worker-pool URL to test a pool")
        return str(spec)

    @pytest.fixture
    def worker_pool(self, worker_pool_url: str) -> Iterator[BaseWorkerPool]:
        pool = get_worker_pool(worker_pool_url)
        try:
            yield pool
        finally:
            pool.close()
