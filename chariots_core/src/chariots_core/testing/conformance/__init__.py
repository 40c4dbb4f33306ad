"""The conformance suite of worker pools: one kit that proves any pool, ours or a third party's.

A pool's test file subclasses :class:`WorkerPoolConformance` and gives it a ``worker_pool``
fixture; ``pytest --chariots-worker-pool URL`` runs the same suite on any installed backend
without a file. See the documentation page "Write your own worker pool".

Two more suites a plugin opts into with a fixture: :class:`BrokerOutageTests` (a worker whose
broker stops and starts again: ``broker_control``) and :class:`PluginPackagingTests` (entry
point, ``chariots plugins``, extras: ``plugin_packaging``).
"""

from chariots_core.testing.conformance._fixtures import ConformanceFixtures
from chariots_core.testing.conformance._harness import Harness, JobGate, wait_until
from chariots_core.testing.conformance._kill import KillWorker, kill_worker_process
from chariots_core.testing.conformance._markers import requires
from chariots_core.testing.conformance._outage import (
    BrokerControl,
    BrokerOutageTests,
    RedisOutageTests,
)
from chariots_core.testing.conformance._packaging import PluginPackaging, PluginPackagingTests
from chariots_core.testing.conformance._suite import WorkerPoolConformance
from chariots_core.testing.conformance.app import APP_NAME, build_app
from chariots_core.testing.pytest_plugin import REQUIRES_MARKER

__all__ = [
    "APP_NAME",
    "REQUIRES_MARKER",
    "BrokerControl",
    "BrokerOutageTests",
    "ConformanceFixtures",
    "Harness",
    "JobGate",
    "KillWorker",
    "PluginPackaging",
    "PluginPackagingTests",
    "RedisOutageTests",
    "WorkerPoolConformance",
    "build_app",
    "kill_worker_process",
    "requires",
    "wait_until",
]
