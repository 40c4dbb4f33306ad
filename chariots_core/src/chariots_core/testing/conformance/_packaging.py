"""`PluginPackagingTests`: how a plugin distribution is installed and found, proven once for all.

A plugin's test file subclasses it and names what it ships with a ``plugin_packaging`` fixture
(a :class:`PluginPackaging`); the tests check its ``chariots`` entry point, that names and URLs
find its pool, what ``chariots plugins`` lists (text and JSON, as a user runs it), the error a
user gets without the distribution, and the chariots-core extra that installs it.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from chariots_core.testing.processes import command_environment, script_path
from chariots_core.workers import (
    BackendNotInstalled,
    BaseWorkerPool,
    Capability,
    available_backends,
    get_worker_pool,
)

__all__ = ["PluginPackaging", "PluginPackagingTests"]


@dataclass(frozen=True)
class PluginPackaging:
    """What a plugin distribution ships, as its packaging tests expect it.

    - ``backend``: the entry point's name in the group ``chariots`` (the URL scheme);
    - ``distribution``: the distribution's name; ``module``: the entry point's value;
    - ``pool_class``: the pool it registers; ``url``: a URL building one (without connecting);
    - ``capabilities``: what the class declares; ``capabilities_by_transport``: what it declares
      on each transport (``{"redis": {...}}``), as ``chariots plugins`` lists it;
    - ``by_name``: keyword arguments building the pool by its backend name (``None``: not
      buildable so without a broker of the caller's);
    - ``exported``: ``chariots_core.workers.<pool class name>`` finds it (chariots' own plugins);
    - ``core_extra``: the chariots-core extra installing the distribution (chariots' own);
    - ``version``: the version the package itself reports (its ``__version__``), checked against
      the installed distribution's.
    """

    backend: str
    distribution: str
    module: str
    pool_class: type[BaseWorkerPool]
    url: str
    capabilities: frozenset[Capability]
    capabilities_by_transport: Mapping[str, frozenset[Capability]] = field(default_factory=dict)
    by_name: Mapping[str, Any] | None = None
    exported: bool = False
    core_extra: str | None = None
    version: str | None = None

    @property
    def installed_version(self) -> str:
        """The installed distribution's version."""
        return importlib.metadata.version(self.distribution)


def _names(capabilities: frozenset[Capability]) -> list[str]:
    return sorted(capability.value for capability in capabilities)


def _chariots(*args: str) -> str:
    """``chariots ARGS`` run as a user runs it (this environment's script), its output."""
    command = [str(script_path("chariots")), *args]
    return subprocess.check_output(command, text=True, env=command_environment(), timeout=120)


class PluginPackagingTests:
    """The packaging tests of a plugin distribution.

    Subclass it and give it the packaging::

        class TestPackaging(PluginPackagingTests):
            @pytest.fixture
            def plugin_packaging(self) -> PluginPackaging:
                return PluginPackaging(backend="mq", distribution="chariots-mq", ...)
    """

    @pytest.fixture
    def plugin_packaging(self) -> PluginPackaging:
        """What the distribution ships. No default: provide it."""
        pytest.fail(
            f"{type(self).__name__} must define a `plugin_packaging` fixture returning a "
            "PluginPackaging (the backend, distribution and pool it ships)",
            pytrace=False,
        )

    def test_the_entry_point_is_declared_by_the_distribution(
        self, plugin_packaging: PluginPackaging
    ) -> None:
        named = [
            point
            for point in importlib.metadata.entry_points(group="chariots")
            if point.name == plugin_packaging.backend
        ]
        assert len(named) == 1, f"entry points named {plugin_packaging.backend!r}: {named}"
        (entry_point,) = named
        assert entry_point.value == plugin_packaging.module
        assert entry_point.dist is not None
        assert entry_point.dist.metadata["Name"] == plugin_packaging.distribution

    def test_the_backend_name_and_url_find_the_pool(
        self, plugin_packaging: PluginPackaging
    ) -> None:
        pool_class = plugin_packaging.pool_class
        assert pool_class.backend == plugin_packaging.backend
        pools = [get_worker_pool(plugin_packaging.url)]
        try:
            if plugin_packaging.by_name is not None:
                pools.append(get_worker_pool(plugin_packaging.backend, **plugin_packaging.by_name))
            for pool in pools:
                assert isinstance(pool, pool_class), pool
        finally:
            for pool in pools:
                pool.close()
        if plugin_packaging.exported:
            from chariots_core import workers

            assert getattr(workers, pool_class.__name__) is pool_class

    def test_chariots_plugins_lists_the_backend_with_its_capabilities(
        self, plugin_packaging: PluginPackaging
    ) -> None:
        packaging = plugin_packaging
        (info,) = [info for info in available_backends() if info.name == packaging.backend]
        assert info.loaded, info.failure
        installed = packaging.installed_version
        assert (info.distribution, info.version) == (packaging.distribution, installed)
        if packaging.version is not None:
            assert packaging.version == installed
        assert info.pools == (packaging.pool_class,)
        assert packaging.pool_class.capabilities == packaging.capabilities

        text = _chariots("plugins")
        listed = json.loads(_chariots("plugins", "--json"))

        assert f"{packaging.backend}  ({packaging.distribution} {installed}" in text
        assert f"        capabilities: {', '.join(_names(packaging.capabilities))}\n" in text
        for transport, capabilities in packaging.capabilities_by_transport.items():
            line = f"        on {packaging.backend}+{transport}: {', '.join(_names(capabilities))}"
            assert f"{line}\n" in text, text
        (entry,) = [entry for entry in listed if entry["name"] == packaging.backend]
        (pool,) = entry["pools"]
        assert pool["capabilities"] == _names(packaging.capabilities)
        assert pool["capabilities_by_transport"] == {
            transport: _names(capabilities)
            for transport, capabilities in packaging.capabilities_by_transport.items()
        }

    def test_without_the_distribution_the_error_says_what_to_install(
        self, plugin_packaging: PluginPackaging, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        packaging = plugin_packaging
        installed: Any = importlib.metadata.entry_points

        def without_the_plugin(**selection: Any) -> Any:
            found = installed(**selection)
            if selection.get("group") != "chariots":
                return found
            return [point for point in found if point.name != packaging.backend]

        monkeypatch.setattr(importlib.metadata, "entry_points", without_the_plugin)

        with pytest.raises(BackendNotInstalled) as raised:
            get_worker_pool(packaging.url)
        errors = [raised.value]
        if packaging.exported:
            from chariots_core import workers

            with pytest.raises(BackendNotInstalled) as raised:
                getattr(workers, packaging.pool_class.__name__)
            errors.append(raised.value)

        for error in errors:
            assert isinstance(error, ImportError)
            assert f"no worker pool backend named {packaging.backend!r}" in str(error)
            if packaging.core_extra is not None:
                assert f"pip install chariots-core[{packaging.core_extra}]" in str(error)
                assert packaging.distribution in str(error)

    def test_a_chariots_core_extra_installs_the_distribution(
        self, plugin_packaging: PluginPackaging
    ) -> None:
        if plugin_packaging.core_extra is None:
            pytest.skip("no chariots-core extra installs this distribution")
        from packaging.requirements import Requirement

        extra = plugin_packaging.core_extra
        declared = importlib.metadata.requires("chariots-core") or []
        requirements = [Requirement(text) for text in declared]
        for name in (extra, "all"):
            wanted = [
                requirement
                for requirement in requirements
                if requirement.name == plugin_packaging.distribution
                and requirement.marker is not None
                and requirement.marker.evaluate({"extra": name})
            ]
            assert len(wanted) == 1, f"chariots-core[{name}] does not require the distribution"
            assert wanted[0].specifier, f"chariots-core[{name}] gives it no version bounds"
            installed = plugin_packaging.installed_version
            assert wanted[0].specifier.contains(installed, prereleases=True)
