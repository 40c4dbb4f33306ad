"""`WorkerPoolConformance`: the whole suite, as one class to subclass."""

from __future__ import annotations

from chariots_core.testing.conformance._suite_control import ControlTests
from chariots_core.testing.conformance._suite_delivery import DeliveryTests
from chariots_core.testing.conformance._suite_jobs import JobTests
from chariots_core.testing.conformance._suite_messages import MessageTests
from chariots_core.testing.conformance._suite_records import RecordTests
from chariots_core.testing.conformance._suite_workers import WorkerTests


class WorkerPoolConformance(
    JobTests, DeliveryTests, ControlTests, RecordTests, MessageTests, WorkerTests
):
    """The conformance suite of worker pools. Subclass it in a test file and give it the pool::

        import pytest
        from chariots_core.testing.conformance import WorkerPoolConformance

        class TestMyPool(WorkerPoolConformance):
            @pytest.fixture
            def worker_pool(self):
                return MyWorkerPool(...)

    Every test runs on a new app (its op store and job store in a temporary folder) with the
    pool attached and, for tests that run jobs, ``n_workers`` workers started through
    ``start_workers``. Tests of a capability the pool does not declare are skipped; ``known_gaps``
    declares tests expected to fail (strict xfails). See :class:`ConformanceFixtures` for the
    fixtures a test class may override.
    """
