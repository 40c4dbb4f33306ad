"""The ``celery`` entry point, the kit's packaging suite (:class:`PluginPackagingTests`):
declared by the distribution, found by name and URL and as
``chariots_core.workers.CeleryWorkerPool``, listed by ``chariots plugins`` with the capabilities
of each broker, installed by ``chariots-core[celery]``, and named in the error without it."""

from __future__ import annotations

import pytest

import chariots_celery
from chariots_core import workers
from chariots_core.testing.conformance import PluginPackaging, PluginPackagingTests
from chariots_core.workers import Capability

#: what the pool honours on every broker (and RabbitMQ's redelivery)
COMMON = frozenset(
    {Capability.cancel_queued, Capability.delay, Capability.interrupt_running,
     Capability.priority, Capability.retries, Capability.timeouts}
)  # fmt: skip
BY_BROKER = {"redis": COMMON, "amqp": COMMON | {Capability.redelivery}}


#: what chariots-celery ships: backend, distribution, entry point, pool, URLs, capabilities
PACKAGING = PluginPackaging(
    "celery", "chariots-celery", "chariots_celery.plugin", chariots_celery.CeleryWorkerPool,
    url="celery+redis://localhost:6379/1?queue=url", capabilities=COMMON,
    capabilities_by_transport=BY_BROKER, exported=True, core_extra="celery",
    by_name={"broker_url": "amqp://localhost//", "queue": "named"},
    version=chariots_celery.__version__,
)  # fmt: skip


class TestCeleryPackaging(PluginPackagingTests):
    @pytest.fixture
    def plugin_packaging(self) -> PluginPackaging:
        return PACKAGING


def test_the_name_and_the_url_give_their_broker_and_queue_to_the_pool() -> None:
    by_url = workers.get_worker_pool("celery+redis://localhost:6379/1?queue=url")
    by_name = workers.get_worker_pool("celery", broker_url="amqp://localhost//", queue="named")

    assert isinstance(by_url, chariots_celery.CeleryWorkerPool)
    assert (by_url.queue.name, by_url.transport) == ("url", "redis")
    assert isinstance(by_name, chariots_celery.CeleryWorkerPool)
    assert (by_name.queue.name, by_name.transport) == ("named", "amqp")
