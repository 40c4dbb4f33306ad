"""The ``dramatiq`` entry point: found by name, URL and ``chariots_core.workers``, listed by
``chariots plugins`` with its capabilities on each broker."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import chariots_dramatiq
from chariots_core import workers
from chariots_core.workers import Capability, available_backends
from chariots_dramatiq import DramatiqWorkerPool


def test_the_entry_point_is_declared_by_the_distribution() -> None:
    (entry_point,) = [
        point
        for point in importlib.metadata.entry_points(group="chariots")
        if point.name == "dramatiq"
    ]

    assert entry_point.value == "chariots_dramatiq.plugin"
    assert entry_point.dist is not None
    assert entry_point.dist.metadata["Name"] == "chariots-dramatiq"


def test_the_pool_is_found_by_name_and_by_url() -> None:
    pool = workers.get_worker_pool("dramatiq+redis://127.0.0.1:6379/0?queue=by_url")

    try:
        assert workers.DramatiqWorkerPool is DramatiqWorkerPool  # type: ignore[attr-defined]
        assert isinstance(pool, DramatiqWorkerPool)
        assert pool.queue == "by_url"
    finally:
        pool.close()


def test_chariots_plugins_lists_its_capabilities_on_each_broker() -> None:
    (info,) = [info for info in available_backends() if info.name == "dramatiq"]
    chariots = Path(sys.executable).with_name("chariots")
    listed = json.loads(subprocess.check_output([str(chariots), "plugins", "--json"], text=True))
    text = subprocess.check_output([str(chariots), "plugins"], text=True)

    assert (info.distribution, info.version) == ("chariots-dramatiq", chariots_dramatiq.__version__)
    assert info.pools == (DramatiqWorkerPool,)
    (entry,) = [entry for entry in listed if entry["name"] == "dramatiq"]
    assert entry["pools"][0]["capabilities"] == [
        "delay",
        "interrupt_running",
        "retries",
        "timeouts",
    ]
    assert DramatiqWorkerPool.capabilities_by_transport == {
        "redis": DramatiqWorkerPool.capabilities | {Capability.cancel_queued},
        "amqp": DramatiqWorkerPool.capabilities | {Capability.priority, Capability.redelivery},
    }
    assert "on dramatiq+redis: cancel_queued, delay, interrupt_running, retries, timeouts" in text
    assert (
        "on dramatiq+amqp: delay, interrupt_running, priority, redelivery, retries, timeouts"
        in text
    )
