"""The ``rq`` entry point: ``from chariots_core import workers; workers.RQWorkerPool`` as on the
seed page, backend names and URLs, the installed-backends list, and what happens without it."""

from __future__ import annotations

import importlib.metadata

import pytest
from redis import Redis

import chariots_rq
from chariots_core import workers
from chariots_core.workers import BackendNotInstalled, Capability, available_backends
from chariots_core.workers import _plugins as plugins


def test_the_seed_pages_import_finds_the_pool_through_the_entry_point() -> None:
    from chariots_core.workers import RQWorkerPool  # type: ignore[attr-defined]

    assert workers.RQWorkerPool is chariots_rq.RQWorkerPool  # type: ignore[attr-defined]
    assert RQWorkerPool is chariots_rq.RQWorkerPool
    pool = workers.RQWorkerPool(redis=Redis())  # type: ignore[attr-defined]
    assert isinstance(pool, chariots_rq.RQWorkerPool)


def test_the_entry_point_is_declared_by_the_distribution() -> None:
    (entry_point,) = [
        point for point in importlib.metadata.entry_points(group="chariots") if point.name == "rq"
    ]

    assert entry_point.value == "chariots_rq.plugin"
    assert entry_point.dist is not None
    assert entry_point.dist.metadata["Name"] == "chariots-rq"


def test_backend_name_and_url_resolve_to_the_pool() -> None:
    by_name = workers.get_worker_pool("rq", queue="named")
    by_url = workers.get_worker_pool("rq+redis://localhost:6379/1?queue=url")

    assert isinstance(by_name, chariots_rq.RQWorkerPool)
    assert by_name.queue_name == "named"
    assert isinstance(by_url, chariots_rq.RQWorkerPool)
    assert by_url.queue_name == "url"


def test_the_installed_backends_list_rq_with_its_capabilities() -> None:
    (info,) = [info for info in available_backends() if info.name == "rq"]

    assert info.loaded, info.failure
    assert (info.distribution, info.version) == ("chariots-rq", chariots_rq.__version__)
    assert info.pools == (chariots_rq.RQWorkerPool,)
    assert info.to_json()["pools"][0]["capabilities"] == sorted(
        capability.value
        for capability in (
            Capability.cancel_queued,
            Capability.delay,
            Capability.interrupt_running,
            Capability.priority,
            Capability.retries,
            Capability.timeouts,
        )
    )


def test_without_chariots_rq_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = plugins.PluginRegistry()
    installed = registry.entry_points()
    monkeypatch.setattr(
        registry,
        "entry_points",
        lambda: {name: point for name, point in installed.items() if name != "rq"},
    )
    monkeypatch.setattr(plugins, "_registry", registry)

    with pytest.raises(BackendNotInstalled) as raised:
        _ = workers.RQWorkerPool  # type: ignore[attr-defined]

    assert "pip install chariots-core[rq]" in str(raised.value)
    assert "chariots-rq" in str(raised.value)
    assert isinstance(raised.value, ImportError)
