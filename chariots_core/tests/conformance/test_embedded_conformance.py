"""The embedded pool runs the conformance suite exactly as a third party would: one class per
mode, each giving the suite its pool."""

from __future__ import annotations

import pytest

from chariots_core.testing.conformance import WorkerPoolConformance
from chariots_core.workers import BaseWorkerPool
from chariots_core.workers.embedded import EmbeddedWorkerPool


class TestEmbeddedThreads(WorkerPoolConformance):
    """Workers are threads of the test process (jobs run in them)."""

    @pytest.fixture
    def worker_pool(self) -> BaseWorkerPool:
        return EmbeddedWorkerPool(mode="thread", poll_interval=0.01)

    @pytest.fixture
    def worker_pool_url(self) -> str:
        return "embedded://?mode=thread&poll_interval=0.01"


class TestEmbeddedProcesses(WorkerPoolConformance):
    """Workers are forked processes, each running its jobs in a work horse it can kill."""

    @pytest.fixture
    def worker_pool(self) -> BaseWorkerPool:
        return EmbeddedWorkerPool(mode="process", poll_interval=0.01)

    @pytest.fixture
    def worker_pool_url(self) -> str:
        return "embedded://?mode=process&poll_interval=0.01"
