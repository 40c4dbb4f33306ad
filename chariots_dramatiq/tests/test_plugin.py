"""The ``dramatiq`` entry point, the kit's packaging suite (:class:`PluginPackagingTests`):
declared by the distribution, found by URL and as ``chariots_core.workers.DramatiqWorkerPool``,
listed by ``chariots plugins`` with its capabilities on each broker, installed by
``chariots-core[dramatiq]``, and named in the error without it."""

from __future__ import annotations

import pytest

import chariots_dramatiq
from chariots_core import workers
from chariots_core.testing.conformance import PluginPackaging, PluginPackagingTests
from chariots_core.workers import Capability
from chariots_dramatiq import DramatiqWorkerPool

#: what the pool honours on every broker, and on each
EVERYWHERE = frozenset(
    {Capability.delay, Capability.interrupt_running, Capability.retries, Capability.timeouts}
)
ON_REDIS, ON_RABBITMQ = {Capability.cancel_queued}, {Capability.priority, Capability.redelivery}


class TestDramatiqPackaging(PluginPackagingTests):
    @pytest.fixture
    def plugin_packaging(self) -> PluginPackaging:
        """chariots-dramatiq's backend, entry point, pool, a URL and its capabilities."""
        by_transport = {"redis": EVERYWHERE | ON_REDIS, "amqp": EVERYWHERE | ON_RABBITMQ}
        url = "dramatiq+redis://127.0.0.1:6379/0?queue=by_url"
        return PluginPackaging(
            "dramatiq", "chariots-dramatiq", "chariots_dramatiq.plugin", DramatiqWorkerPool, url,
            EVERYWHERE, by_transport, exported=True, core_extra="dramatiq",
            version=chariots_dramatiq.__version__,
        )  # fmt: skip


def test_the_url_gives_its_queue_to_the_pool() -> None:
    pool = workers.get_worker_pool("dramatiq+redis://127.0.0.1:6379/0?queue=by_url")

    try:
        assert isinstance(pool, DramatiqWorkerPool)
        assert pool.queue == "by_url"
    finally:
        pool.close()
