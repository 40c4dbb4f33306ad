"""The ``celery`` entry point: backend names and URLs, ``chariots_core.workers.CeleryWorkerPool``,
``chariots plugins`` listing the capabilities of each broker, and the error without it."""

from __future__ import annotations

import importlib.metadata
import json

import pytest
from click.testing import CliRunner

import chariots_celery
from chariots_core import workers
from chariots_core.cli import main
from chariots_core.workers import BackendNotInstalled, available_backends
from chariots_core.workers import _plugins as plugins


def test_the_entry_point_is_declared_by_the_distribution() -> None:
    (entry_point,) = [
        point
        for point in importlib.metadata.entry_points(group="chariots")
        if point.name == "celery"
    ]

    assert entry_point.value == "chariots_celery.plugin"
    assert entry_point.dist is not None
    assert entry_point.dist.metadata["Name"] == "chariots-celery"


def test_names_urls_and_the_workers_module_find_the_pool() -> None:
    by_url = workers.get_worker_pool("celery+redis://localhost:6379/1?queue=url")
    by_name = workers.get_worker_pool("celery", broker_url="amqp://localhost//", queue="named")

    assert workers.CeleryWorkerPool is chariots_celery.CeleryWorkerPool  # type: ignore[attr-defined]
    assert isinstance(by_url, chariots_celery.CeleryWorkerPool)
    assert (by_url.queue.name, by_url.transport) == ("url", "redis")
    assert isinstance(by_name, chariots_celery.CeleryWorkerPool)
    assert (by_name.queue.name, by_name.transport) == ("named", "amqp")


def test_chariots_plugins_lists_the_capabilities_of_each_broker() -> None:
    (info,) = [info for info in available_backends() if info.name == "celery"]
    text = CliRunner().invoke(main, ["plugins"]).output
    listed = json.loads(CliRunner().invoke(main, ["plugins", "--json"]).output)

    assert info.loaded, info.failure
    assert (info.distribution, info.version) == ("chariots-celery", chariots_celery.__version__)
    common = "cancel_queued, delay, interrupt_running, priority, retries, timeouts"
    assert f"celery  (chariots-celery {chariots_celery.__version__}" in text
    assert f"        capabilities: {common}\n" in text
    assert f"        on celery+redis: {common}\n" in text
    assert (
        "        on celery+amqp: cancel_queued, delay, interrupt_running, priority, redelivery, "
        "retries, timeouts\n"
    ) in text
    (pool,) = next(entry for entry in listed if entry["name"] == "celery")["pools"]
    assert pool["capabilities_by_transport"]["amqp"] == sorted([*common.split(", "), "redelivery"])


def test_without_chariots_celery_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = plugins.PluginRegistry()
    installed = registry.entry_points()
    monkeypatch.setattr(
        registry,
        "entry_points",
        lambda: {name: point for name, point in installed.items() if name != "celery"},
    )
    monkeypatch.setattr(plugins, "_registry", registry)

    with pytest.raises(BackendNotInstalled, match=r"pip install chariots-core\[celery\]"):
        workers.get_worker_pool("celery+redis://localhost:6379/0")
