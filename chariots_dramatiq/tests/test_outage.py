"""A Redis outage, the kit's suite (:class:`RedisOutageTests`): a Dramatiq worker (``chariots
worker``) whose Redis goes away waits for it, saying so, and goes on running jobs once it is back
(Dramatiq's consumers restart by themselves on a connection error, with back-off); a stop asked
during the outage still ends it cleanly."""

from __future__ import annotations

import pytest
from dramatiq_test_support import FAST

from chariots_core.testing.conformance import RedisOutageTests
from chariots_core.testing.queues import TestQueue
from chariots_core.testing.services import RedisServer

#: what Dramatiq's consumer logs when its broker fails it
WAITING = "Consumer encountered a connection error"


class TestRedisOutage(RedisOutageTests):
    @pytest.fixture
    def outage_pool_url(self, broker_control: RedisServer, chariots_queue: TestQueue) -> str:
        return chariots_queue.url(f"dramatiq+redis://127.0.0.1:{broker_control.port}/0", **FAST)

    def worker_waits_for_broker(self, output: str) -> bool:
        return WAITING in output
