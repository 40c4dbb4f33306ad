"""The ``rq`` entry point, the kit's packaging suite (:class:`PluginPackagingTests`): declared by
the distribution, found by name and URL and as ``chariots_core.workers.RQWorkerPool``, listed
by ``chariots plugins`` with its capabilities, installed by ``chariots-core[rq]``, and named in
the error without it; and the seed page's ``from chariots_core import workers``."""

from __future__ import annotations

import pytest
from redis import Redis

import chariots_rq
from chariots_core import workers
from chariots_core.testing.conformance import PluginPackaging, PluginPackagingTests
from chariots_core.workers import Capability

#: what chariots-rq ships: backend, distribution, entry point, pool, a URL and what it declares
PACKAGING = PluginPackaging(
    "rq", "chariots-rq", "chariots_rq.plugin", chariots_rq.RQWorkerPool,
    url="rq+redis://localhost:6379/1?queue=url", by_name={"queue": "named"}, exported=True,
    capabilities=frozenset({Capability.cancel_queued, Capability.delay, Capability.priority,
                            Capability.interrupt_running, Capability.retries, Capability.timeouts}),
    core_extra="rq", version=chariots_rq.__version__,
)  # fmt: skip


class TestRQPackaging(PluginPackagingTests):
    @pytest.fixture
    def plugin_packaging(self) -> PluginPackaging:
        return PACKAGING


def test_the_seed_pages_import_finds_the_pool_through_the_entry_point() -> None:
    from chariots_core.workers import RQWorkerPool  # type: ignore[attr-defined]

    assert RQWorkerPool is chariots_rq.RQWorkerPool
    pool = workers.RQWorkerPool(redis=Redis())  # type: ignore[attr-defined]
    assert isinstance(pool, chariots_rq.RQWorkerPool)


def test_the_name_and_the_url_give_their_options_to_the_pool() -> None:
    by_name = workers.get_worker_pool("rq", queue="named")
    by_url = workers.get_worker_pool("rq+redis://localhost:6379/1?queue=url")

    assert isinstance(by_name, chariots_rq.RQWorkerPool)
    assert by_name.queue_name == "named"
    assert isinstance(by_url, chariots_rq.RQWorkerPool)
    assert by_url.queue_name == "url"
