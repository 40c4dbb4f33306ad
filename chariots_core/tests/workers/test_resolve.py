"""Choosing a worker pool: every form of spec, on real entry points (test distributions)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _plugin_dists import (
    EXPECTED_BACKENDS,
    PUBLISHED_BACKENDS,
    installed_backends_in,
    installed_test_plugins,
    published_backend_not_installed,
)

from chariots_core.errors import BackendError, WorkerPoolError
from chariots_core.workers import (
    BackendNotInstalled,
    BaseWorkerPool,
    PluginLoadError,
    default_worker_pool,
    get_worker_pool,
)
from chariots_core.workers._resolve import WORKER_POOL_ENV, backend_of_url


@pytest.fixture
def dummy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The module of the ``dummy`` test backend, its distribution installed."""
    monkeypatch.delenv(WORKER_POOL_ENV, raising=False)
    with installed_test_plugins(tmp_path / "site", monkeypatch):
        import chariots_test_dummy  # type: ignore[import-not-found]

        yield chariots_test_dummy


def test_a_pool_is_returned_as_it_is(dummy: Any) -> None:
    pool = dummy.DummyWorkerPool()

    assert get_worker_pool(pool) is pool
    with pytest.raises(TypeError, match=r"keyword arguments \(size\) cannot go with a pool"):
        get_worker_pool(pool, size=2)


def test_a_pool_class_is_built_with_the_keyword_arguments(dummy: Any) -> None:
    pool = get_worker_pool(dummy.DummyWorkerPool, size=2)

    assert type(pool) is dummy.DummyWorkerPool
    assert pool.options == {"size": 2}


def test_a_class_that_is_not_a_pool_is_refused() -> None:
    with pytest.raises(TypeError, match="dict is not a subclass of BaseWorkerPool"):
        get_worker_pool(dict)  # type: ignore[arg-type]


def test_a_backend_name_builds_its_class_with_the_keyword_arguments(dummy: Any) -> None:
    pool = get_worker_pool("dummy", size=3)

    assert type(pool) is dummy.DummyWorkerPool
    assert (pool.url, pool.options) == (None, {"size": 3})


@pytest.mark.parametrize(
    "url",
    [
        "dummy://localhost:6379/0",
        "dummy+redis://localhost:6379/0",
        "dummy+rediss://user:secret@example.org:6380/1?ssl_cert_reqs=none",
        "DUMMY+amqp://guest@localhost//",
    ],
)
def test_a_url_selects_the_backend_before_the_plus(dummy: Any, url: str) -> None:
    pool = get_worker_pool(url)

    assert type(pool) is dummy.DummyWorkerPool
    assert pool.url == url


def test_a_url_takes_no_keyword_arguments(dummy: Any) -> None:
    with pytest.raises(TypeError, match="cannot go with a URL"):
        get_worker_pool("dummy://localhost", size=1)


def test_an_import_path_to_a_class_builds_it(dummy: Any) -> None:
    pool = get_worker_pool("chariots_test_dummy:DummyWorkerPool", size=4)

    assert type(pool) is dummy.DummyWorkerPool
    assert pool.options == {"size": 4}


def test_an_import_path_to_a_pool_returns_it(dummy: Any) -> None:
    assert get_worker_pool("chariots_test_dummy:shared_pool") is dummy.shared_pool


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "chariots_no_such_module:Pool",
            "cannot import the module of worker pool 'chariots_no_such_module:Pool': "
            "ModuleNotFoundError",
        ),
        ("chariots_test_dummy:NoSuchPool", "'chariots_test_dummy' has no attribute 'NoSuchPool'"),
        ("chariots_test_dummy:signal", "neither a BaseWorkerPool subclass nor a pool"),
        ("not a pool!", "'not a pool!' is not a worker pool: give a backend name"),
    ],
)
def test_a_spec_that_names_no_pool_is_a_worker_pool_error(
    dummy: Any, spec: str, message: str
) -> None:
    with pytest.raises(WorkerPoolError, match=message):
        get_worker_pool(spec)


def test_no_spec_reads_the_environment(dummy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKER_POOL_ENV, "dummy+redis://from-the-environment/0")
    pool = get_worker_pool()
    assert type(pool) is dummy.DummyWorkerPool
    assert pool.url == "dummy+redis://from-the-environment/0"

    monkeypatch.setenv(WORKER_POOL_ENV, "chariots_test_dummy:DummyWorkerPool")
    assert get_worker_pool(None, size=5).options == {"size": 5}


def test_no_spec_and_no_environment_is_an_error(dummy: Any) -> None:
    with pytest.raises(WorkerPoolError, match=rf"no worker pool given and \${WORKER_POOL_ENV}"):
        get_worker_pool()


def test_the_default_pool_is_the_environments(dummy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKER_POOL_ENV, "dummy")

    assert type(default_worker_pool()) is dummy.DummyWorkerPool


def test_the_default_pool_is_else_the_embedded_one(dummy: Any) -> None:
    pool = default_worker_pool()
    try:
        assert isinstance(pool, BaseWorkerPool)
        assert type(pool).__name__ == "EmbeddedWorkerPool"
        assert pool.backend == "embedded"
    finally:
        pool.close()


def test_an_uninstalled_backend_says_what_to_install(dummy: Any) -> None:
    backend = published_backend_not_installed()
    distribution = PUBLISHED_BACKENDS[backend][0]

    for spec in (backend, f"{backend}://localhost:6379/0", f"{backend}+rediss://localhost:6380/0"):
        with pytest.raises(BackendNotInstalled) as raised:
            get_worker_pool(spec)
        message = str(raised.value)
        assert isinstance(raised.value, BackendError)  # as the original chariots raised
        assert f"no worker pool backend named {backend!r} is installed" in message
        assert f"`pip install chariots-core[{backend}]` (distribution {distribution})" in message
        assert set(installed_backends_in(message)) >= EXPECTED_BACKENDS


def test_a_broken_backend_raises_its_plugins_error(dummy: Any) -> None:
    with pytest.raises(PluginLoadError, match="ImportError: chariots_test_broken needs"):
        get_worker_pool("broken")
    with pytest.raises(PluginLoadError, match="ImportError: chariots_test_broken needs"):
        get_worker_pool("broken+redis://localhost")


def test_resolving_a_backend_imports_no_other_plugin(dummy: Any) -> None:
    get_worker_pool("dummy://localhost")

    assert "chariots_test_recorder" not in sys.modules
    assert not (Path(dummy.__file__).with_name("broken_imports.txt")).exists()


@pytest.mark.parametrize(
    ("text", "backend"),
    [
        ("rq://localhost:6379/0", "rq"),
        ("rq+rediss://localhost", "rq"),
        ("Celery+amqp://guest@localhost//", "celery"),
        ("dramatiq+redis://localhost", "dramatiq"),
        ("rq", None),
        ("package.module:Class", None),
    ],
)
def test_the_backend_of_a_url(text: str, backend: str | None) -> None:
    assert backend_of_url(text) == backend
