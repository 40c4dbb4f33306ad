"""The one file a third party writes: chariots' conformance suite on the filequeue pool."""

from pathlib import Path

import pytest
from chariots_example_pool import FileQueueWorkerPool

from chariots_core.testing.conformance import WorkerPoolConformance


class TestFileQueueWorkerPool(WorkerPoolConformance):
    @pytest.fixture
    def worker_pool(self, tmp_path: Path) -> FileQueueWorkerPool:
        return FileQueueWorkerPool(tmp_path / "queue")

    @pytest.fixture
    def worker_pool_url(self, tmp_path: Path) -> str:
        # builds a second instance on the same queue (for the "second server" test)
        return f"filequeue://{tmp_path / 'queue'}"


class TestFileQueueWorkerProcesses(WorkerPoolConformance):
    """The same pool with its workers in processes (each job in a work horse: timeouts)."""

    @pytest.fixture
    def worker_pool_url(self, tmp_path: Path) -> str:
        return f"filequeue://{tmp_path / 'queue'}?processes=true"

    @pytest.fixture
    def worker_pool(self, worker_pool_url: str) -> FileQueueWorkerPool:
        return FileQueueWorkerPool.from_url(worker_pool_url)
