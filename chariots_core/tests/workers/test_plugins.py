"""The plugin manager, on real entry points: test distributions installed on ``sys.path``."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest
from _plugin_dists import (
    EXPECTED_BACKENDS,
    PUBLISHED_BACKENDS,
    installed_backends_in,
    installed_test_plugins,
    published_backend_not_installed,
)

from chariots_core import workers
from chariots_core.errors import WorkerPoolError
from chariots_core.jobs import Job, JobStore
from chariots_core.workers import (
    BackendNotInstalled,
    Capability,
    PluginLoadError,
    available_backends,
    hookimpl,
    lifecycle_hooks,
    load_backend,
    register_observer,
    unregister_observer,
)


@pytest.fixture
def plugins_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with installed_test_plugins(tmp_path / "site", monkeypatch) as folder:
        yield folder


def _broken_imports(folder: Path) -> int:
    marker = folder / "broken_imports.txt"
    return len(marker.read_text().splitlines()) if marker.exists() else 0


# -- available_backends ---------------------------------------------------------------------------


def test_available_backends_describes_each_installed_plugin(plugins_folder: Path) -> None:
    infos = {info.name: info for info in available_backends()}

    assert {"dummy", "broken", "recorder", "misnamed", "notapool", "typo", "embedded"} <= set(infos)
    dummy = infos["dummy"]
    assert dummy.loaded
    assert (dummy.distribution, dummy.version) == ("chariots-test-dummy", "0.1")
    assert dummy.entry_point == "chariots_test_dummy"
    [pool] = dummy.pools
    assert pool.__name__ == "DummyWorkerPool"
    assert pool.capabilities == {Capability.cancel_queued, Capability.delay}
    assert dummy.to_json() == {
        "name": "dummy",
        "entry_point": "chariots_test_dummy",
        "distribution": "chariots-test-dummy",
        "version": "0.1",
        "pools": [
            {
                "class": "chariots_test_dummy.DummyWorkerPool",
                "backend": "dummy",
                "capabilities": ["cancel_queued", "delay"],
                "capabilities_by_transport": {
                    "amqp": ["cancel_queued"],
                    "redis": ["cancel_queued", "delay"],
                },
            }
        ],
        "error": None,
    }
    recorder = infos["recorder"]
    assert recorder.loaded
    assert recorder.pools == ()


def test_a_broken_plugin_is_reported_and_the_others_still_load(plugins_folder: Path) -> None:
    infos = {info.name: info for info in available_backends()}

    broken = infos["broken"]
    assert not broken.loaded
    assert broken.failure is not None
    assert broken.failure.type == "ImportError"
    assert broken.failure.message == "chariots_test_broken needs the 'missing_sdk' package"
    assert broken.entry_point == "chariots_test_broken"
    assert (broken.distribution, broken.version) == ("chariots-test-broken", "0.1")
    assert broken.pools == ()
    assert broken.to_json()["error"] == {
        "type": "ImportError",
        "message": "chariots_test_broken needs the 'missing_sdk' package",
    }
    assert infos["dummy"].loaded
    embedded = infos["embedded"]
    assert embedded.loaded, embedded.failure
    assert embedded.distribution == "chariots-core"
    assert [pool.__name__ for pool in embedded.pools] == ["EmbeddedWorkerPool"]


def test_faulty_registrations_are_reported_with_what_is_wrong(plugins_folder: Path) -> None:
    infos = {info.name: info for info in available_backends()}

    notapool = infos["notapool"].failure
    assert notapool is not None
    assert notapool.type == "TypeError"
    assert "not a subclass of chariots_core.workers.BaseWorkerPool" in notapool.message
    typo = infos["typo"].failure
    assert typo is not None
    assert typo.type == "PluginValidationError"
    assert "'chariots_register_worker_pool', which is not a chariots hook" in typo.message
    badargs = infos["badargs"].failure
    assert badargs is not None
    assert badargs.type == "PluginValidationError"
    assert "chariots_job_started" in badargs.message
    # a pool whose backend is not its entry point's name is listed, but not served under it
    misnamed = infos["misnamed"]
    assert misnamed.loaded
    assert [(pool.__name__, pool.backend) for pool in misnamed.pools] == [("OtherPool", "other")]
    with pytest.raises(PluginLoadError, match=r"registers no worker pool for backend 'misnamed'"):
        load_backend("misnamed")


def test_each_plugin_is_imported_once(plugins_folder: Path) -> None:
    for _ in range(2):
        available_backends()
        with pytest.raises(PluginLoadError):
            load_backend("broken")

    assert _broken_imports(plugins_folder) == 1


def test_concurrent_loads_register_each_plugin_once(plugins_folder: Path) -> None:
    start = threading.Barrier(8)
    found: list[Any] = []
    errors: list[BaseException] = []

    def load() -> None:
        try:
            start.wait(timeout=30)
            found.append(load_backend("dummy"))
            found.append(next(i.pools for i in available_backends() if i.name == "dummy"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(found) == 16
    assert len({pools for pools in found}) == 1
    assert _broken_imports(plugins_folder) == 1


# -- load_backend ----------------------------------------------------------------------------------


def test_load_backend_imports_only_that_plugin(plugins_folder: Path) -> None:
    [pool] = load_backend("dummy")

    assert pool.backend == "dummy"
    assert _broken_imports(plugins_folder) == 0
    assert "chariots_test_recorder" not in sys.modules
    available_backends()  # and the marker does count imports
    assert _broken_imports(plugins_folder) == 1


def test_load_backend_of_a_broken_plugin_raises_its_error(plugins_folder: Path) -> None:
    with pytest.raises(PluginLoadError) as raised:
        load_backend("broken")

    message = str(raised.value)
    assert "'broken' (chariots_test_broken) failed to load" in message
    assert "ImportError: chariots_test_broken needs the 'missing_sdk' package" in message
    assert isinstance(raised.value, WorkerPoolError)
    assert isinstance(raised.value.__cause__, ImportError)


def test_an_unknown_backend_lists_the_installed_ones(plugins_folder: Path) -> None:
    with pytest.raises(BackendNotInstalled) as raised:
        load_backend("dumy")

    message = str(raised.value)
    assert "no worker pool backend named 'dumy' is installed" in message
    assert set(installed_backends_in(message)) >= EXPECTED_BACKENDS
    assert "did you mean 'dummy'?" in message
    assert "an entry point named 'dumy' in the group 'chariots'" in message
    assert isinstance(raised.value, WorkerPoolError)


def test_a_published_backend_not_installed_says_what_to_install(plugins_folder: Path) -> None:
    backend = published_backend_not_installed()
    distribution = PUBLISHED_BACKENDS[backend][0]

    with pytest.raises(BackendNotInstalled) as raised:
        load_backend(backend)

    message = str(raised.value)
    assert f"`pip install chariots-core[{backend}]` (distribution {distribution})" in message
    assert set(installed_backends_in(message)) >= EXPECTED_BACKENDS


# -- the exported pool classes ---------------------------------------------------------------------


def test_a_pool_class_of_an_uninstalled_backend_says_what_to_install(
    plugins_folder: Path,
) -> None:
    backend = published_backend_not_installed()
    distribution, pool_class = PUBLISHED_BACKENDS[backend]

    with pytest.raises(BackendNotInstalled, match=rf"pip install chariots-core\[{backend}\]"):
        getattr(workers, pool_class)
    with pytest.raises(ImportError, match=rf"distribution {distribution}"):
        exec(f"from chariots_core.workers import {pool_class}", {})
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchWorkerPool'"):
        _ = workers.NoSuchWorkerPool


def test_the_embedded_pool_class_is_found_through_its_entry_point(plugins_folder: Path) -> None:
    pool_class = workers.EmbeddedWorkerPool

    assert pool_class.__name__ == "EmbeddedWorkerPool"
    assert pool_class.backend == "embedded"


def test_importing_chariots_core_does_not_import_the_workers() -> None:
    check = (
        "import sys, chariots_core\n"
        "assert 'chariots_core.workers' not in sys.modules, 'imported eagerly'\n"
        "from chariots_core import workers, op_store\n"
        "print(workers.get_worker_pool.__module__, op_store.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["chariots_core.workers._resolve", "chariots_core.op_store"]


# -- lifecycle hooks -------------------------------------------------------------------------------


class Observer:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    @hookimpl
    def chariots_job_submitted(self, job: Job) -> None:
        self.events.append(("submitted", job.id))

    @hookimpl
    def chariots_job_finished(self, job: Job) -> None:
        self.events.append(("finished", job.id))


@pytest.fixture
def job(sqlite_url: str) -> Job:
    return JobStore(sqlite_url).create("observed_app", "add_one")


def test_observers_and_plugins_receive_lifecycle_hooks(
    plugins_folder: Path, job: Job, caplog: pytest.LogCaptureFixture
) -> None:
    observer = Observer()
    register_observer(observer)
    register_observer(observer)  # a second registration changes nothing

    with caplog.at_level(logging.WARNING, logger="chariots_core.workers._plugins"):
        hooks = lifecycle_hooks()
    hooks.chariots_job_submitted(job=job)
    hooks.chariots_job_started(job=job)
    hooks.chariots_job_finished(job=job)

    assert observer.events == [("submitted", job.id), ("finished", job.id)]
    recorder = sys.modules["chariots_test_recorder"]
    assert recorder.events == [("started", job.id), ("finished", job.id)]
    # a plugin refused halfway through its registration keeps none of its hooks
    assert sys.modules["chariots_test_badargs"].events == []
    warnings = [record.getMessage() for record in caplog.records]
    assert any(
        "'broken' (chariots_test_broken) failed to load and is skipped: ImportError" in warning
        for warning in warnings
    ), warnings


def test_an_unregistered_observer_hears_nothing_more(plugins_folder: Path, job: Job) -> None:
    observer = Observer()
    register_observer(observer)
    lifecycle_hooks().chariots_job_submitted(job=job)
    unregister_observer(observer)
    lifecycle_hooks().chariots_job_submitted(job=job)

    assert observer.events == [("submitted", job.id)]


def test_an_observer_with_an_unknown_hook_is_refused(plugins_folder: Path, job: Job) -> None:
    class Misspelt:
        @hookimpl
        def chariots_job_ended(self, job: Job) -> None:
            raise AssertionError("never called")

    misspelt = Misspelt()
    with pytest.raises(pluggy.PluginValidationError, match="'chariots_job_ended'"):
        register_observer(misspelt)

    lifecycle_hooks().chariots_job_finished(job=job)  # the refused observer is not registered
    register_observer(Observer())  # and the manager still takes observers
