"""Settings of chariots-dramatiq's tests (importable by name: ``from dramatiq_test_support
import …``)."""

from __future__ import annotations

from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.processes import CommandProcess

#: options that make Dramatiq's workers stop fast, and (on Redis) find dead workers' messages
FAST = {"worker_timeout": 0.05}
FAST_REDIS = {**FAST, "heartbeat_timeout": 2, "maintenance_chance": 1_000_000}
#: the environment of the team's project (``dramatiq_team_project``): its broker, queue, fork
TEAM_BROKER_ENV = "CHARIOTS_DRAMATIQ_TEAM_BROKER"
TEAM_QUEUE_ENV = "CHARIOTS_DRAMATIQ_TEAM_QUEUE"
TEAM_FORK_ENV = "CHARIOTS_DRAMATIQ_TEAM_FORK"
#: what the ``app_with_worker`` fixture returns: the test app, and its ``chariots worker``
AppAndWorker = tuple[PipelinesServer, CommandProcess]
