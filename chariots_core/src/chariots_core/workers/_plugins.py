"""The plugin manager: worker-pool backends and observers, found through entry points.

A distribution offers a backend by naming a module (or object) in the entry-point group
``chariots``, under the backend's name, that implements the hooks of
:mod:`chariots_core.workers.hookspecs`::

    [project.entry-points.chariots]
    rq = "chariots_rq.plugin"

Each entry point is loaded on its own and only when needed, so a plugin that fails to import
breaks nothing but itself: :func:`load_backend` imports one plugin, :func:`available_backends`
imports them all and reports the failures, and :func:`lifecycle_hooks` (the relay the worker
runtime calls lifecycle hooks on) imports them all once and skips, with a logged warning, those
that fail.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pluggy

from chariots_core.errors import BackendError, WorkerPoolError
from chariots_core.workers import hookspecs
from chariots_core.workers._base_pool import BaseWorkerPool

logger = logging.getLogger(__name__)

#: the entry-point group of chariots plugins; an entry point's name is its backend's
ENTRY_POINT_GROUP = "chariots"

#: the backends chariots publishes, each with the extra of chariots-core that installs it
KNOWN_BACKEND_DISTRIBUTIONS = {
    "rq": "chariots-rq",
    "celery": "chariots-celery",
    "dramatiq": "chariots-dramatiq",
}

_REGISTER_HOOK = "chariots_register_worker_pools"


class BackendNotInstalled(WorkerPoolError, BackendError, ValueError):
    """No installed distribution offers this backend; the message says what to install.

    A :class:`~chariots_core.errors.BackendError` (an :class:`ImportError`) too, as the
    original chariots raised for a missing backend, so that ``from chariots_core.workers import
    RQWorkerPool`` shows this message rather than Python's generic "cannot import name"; and a
    :class:`ValueError`, as the original raised for a ``worker_type`` it did not know.
    """


class PluginLoadError(WorkerPoolError, ImportError):
    """The backend's plugin is installed but fails to load; the message gives its error."""


@dataclass(frozen=True)
class PluginFailure:
    """Why a plugin failed to load: the exception's type name and message."""

    type: str
    message: str

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message}


@dataclass(frozen=True)
class BackendInfo:
    """An installed ``chariots`` entry point: where it comes from and what it offers.

    ``pools`` are the worker pools its plugin registers (none for an observer-only plugin);
    ``failure`` says why it could not be loaded, ``None`` when it loaded.
    """

    name: str
    entry_point: str
    distribution: str | None
    version: str | None
    pools: tuple[type[BaseWorkerPool], ...]
    failure: PluginFailure | None

    @property
    def loaded(self) -> bool:
        return self.failure is None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "entry_point": self.entry_point,
            "distribution": self.distribution,
            "version": self.version,
            "pools": [_pool_json(pool) for pool in self.pools],
            "error": None if self.failure is None else self.failure.to_json(),
        }


def _pool_json(pool: type[BaseWorkerPool]) -> dict[str, Any]:
    return {
        "class": f"{pool.__module__}.{pool.__qualname__}",
        "backend": pool.backend,
        "capabilities": sorted(capability.value for capability in pool.capabilities),
        "capabilities_by_transport": {
            transport: sorted(capability.value for capability in capabilities)
            for transport, capabilities in sorted(pool.capabilities_by_transport.items())
        },
    }


def install_hint(backend: str) -> str:
    """What to install for ``backend`` (a sentence), for the backends chariots publishes."""
    if backend == "embedded":
        return (
            "the embedded backend ships with chariots-core: its installation is incomplete, "
            "reinstall it (`pip install --force-reinstall chariots-core`)"
        )
    distribution = KNOWN_BACKEND_DISTRIBUTIONS.get(backend)
    if distribution is None:
        return (
            f"install the distribution that provides it (one registering an entry point named "
            f"{backend!r} in the group {ENTRY_POINT_GROUP!r})"
        )
    return f"install it with `pip install chariots-core[{backend}]` (distribution {distribution})"


@dataclass(frozen=True)
class _Loaded:
    """The outcome of loading one entry point (kept: each plugin is imported at most once)."""

    plugin: object | None
    pools: tuple[type[BaseWorkerPool], ...]
    failure: PluginFailure | None
    error: BaseException | None


def _distribution(entry_point: importlib.metadata.EntryPoint) -> tuple[str | None, str | None]:
    dist = entry_point.dist
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


class PluginRegistry:
    """One ``pluggy`` plugin manager with the ``chariots`` entry points loaded into it on demand.

    Thread-safe; each entry point is loaded at most once, its outcome (pools or error) kept. The
    installed entry points are read afresh at each lookup (a few milliseconds), so a backend
    installed after the first lookup is still found; the lifecycle relay
    (:meth:`lifecycle_hooks`) loads every plugin once, the first time it is asked for.
    """

    def __init__(self, group: str = ENTRY_POINT_GROUP) -> None:
        self.group = group
        self.plugin_manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.plugin_manager.add_hookspecs(hookspecs)
        self._lock = threading.RLock()
        self._loaded: dict[str, _Loaded] = {}
        self._all_loaded = False

    # -- discovery --------------------------------------------------------------------------

    def entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        """The installed entry points of the group by name, sorted; for a name offered by
        several distributions, the first on ``sys.path`` (as Python's import would pick)."""
        found: dict[str, importlib.metadata.EntryPoint] = {}
        for entry_point in importlib.metadata.entry_points(group=self.group):
            found.setdefault(entry_point.name, entry_point)
        return dict(sorted(found.items()))

    # -- loading ----------------------------------------------------------------------------

    def load_backend(self, name: str) -> tuple[type[BaseWorkerPool], ...]:
        """The pools registered for backend ``name`` by its plugin, importing only that plugin.

        Raises :class:`BackendNotInstalled` when no entry point has that name, and
        :class:`PluginLoadError` when its plugin fails to load or offers no pool for ``name``.
        """
        entry_points = self.entry_points()
        entry_point = entry_points.get(name)
        if entry_point is None:
            raise BackendNotInstalled(_not_installed_message(name, list(entry_points)))
        loaded = self._load(entry_point)
        if loaded.failure is not None:
            raise PluginLoadError(
                f"the plugin of worker pool backend {name!r} ({entry_point.value}) failed to "
                f"load: {loaded.failure}"
            ) from loaded.error
        pools = tuple(pool for pool in loaded.pools if pool.backend == name)
        if not pools:
            offered = ", ".join(f"{p.__name__} ({p.backend!r})" for p in loaded.pools) or "none"
            raise PluginLoadError(
                f"the plugin of entry point {name!r} ({entry_point.value}) registers no worker "
                f"pool for backend {name!r} (it registers: {offered}); a pool's `backend` must "
                "be the name of its entry point"
            )
        return pools

    def available_backends(self) -> list[BackendInfo]:
        """Every installed entry point of the group, loaded (failures reported, not raised)."""
        infos = []
        for name, entry_point in self.entry_points().items():
            loaded = self._load(entry_point)
            distribution, version = _distribution(entry_point)
            infos.append(
                BackendInfo(
                    name=name,
                    entry_point=entry_point.value,
                    distribution=distribution,
                    version=version,
                    pools=loaded.pools,
                    failure=loaded.failure,
                )
            )
        return infos

    def _load(self, entry_point: importlib.metadata.EntryPoint) -> _Loaded:
        with self._lock:
            loaded = self._loaded.get(entry_point.name)
            if loaded is None:
                loaded = self._import_and_register(entry_point)
                self._loaded[entry_point.name] = loaded
            return loaded

    def _import_and_register(self, entry_point: importlib.metadata.EntryPoint) -> _Loaded:
        manager = self.plugin_manager
        plugin: object | None = None
        registered_before = False
        try:
            plugin = entry_point.load()
            registered_before = manager.is_registered(plugin)
            if not registered_before:
                manager.register(plugin, name=entry_point.name)
                _check_hooks_are_known(manager, plugin)
            pools: list[type[BaseWorkerPool]] = []
            others = [other for other in manager.get_plugins() if other is not plugin]
            register_pools = manager.subset_hook_caller(_REGISTER_HOOK, remove_plugins=others)
            register_pools(register=_pool_registrar(entry_point, pools))
        except Exception as error:
            # pluggy may have registered part of the plugin before refusing it: none of a
            # plugin that failed to load may stay (its lifecycle hooks would fire)
            if plugin is not None and not registered_before and manager.is_registered(plugin):
                manager.unregister(plugin)
            logger.debug("chariots plugin %r failed to load", entry_point.name, exc_info=True)
            failure = PluginFailure(type(error).__name__, str(error))
            return _Loaded(plugin=None, pools=(), failure=failure, error=error)
        return _Loaded(plugin=plugin, pools=tuple(pools), failure=None, error=None)

    def _load_all(self) -> None:
        with self._lock:
            if self._all_loaded:
                return
            for name, entry_point in self.entry_points().items():
                already = name in self._loaded
                loaded = self._load(entry_point)
                if loaded.failure is not None and not already:
                    logger.warning(
                        "chariots plugin %r (%s) failed to load and is skipped: %s",
                        name,
                        entry_point.value,
                        loaded.failure,
                    )
            self._all_loaded = True

    # -- observers and the lifecycle relay ---------------------------------------------------

    def register_observer(self, observer: object, name: str | None = None) -> None:
        """Add an object (or module) implementing lifecycle hooks; registering it again is a
        no-op. Raises ``pluggy.PluginValidationError`` for a hook that does not exist or whose
        arguments do not match its specification."""
        with self._lock:
            if self.plugin_manager.is_registered(observer):
                return
            self.plugin_manager.register(observer, name=name)
            try:
                _check_hooks_are_known(self.plugin_manager, observer)
            except pluggy.PluginValidationError:
                self.plugin_manager.unregister(observer)
                raise

    def unregister_observer(self, observer: object) -> None:
        """Remove an observer :meth:`register_observer` added (nothing if it is not there)."""
        with self._lock:
            if self.plugin_manager.is_registered(observer):
                self.plugin_manager.unregister(observer)

    def lifecycle_hooks(self) -> Any:
        """The relay to call lifecycle hooks on, as in
        ``lifecycle_hooks().chariots_job_started(job=job)``.

        The first call loads every installed plugin, so that their lifecycle hooks fire too.
        """
        if not self._all_loaded:
            self._load_all()
        return self.plugin_manager.hook


def _pool_registrar(
    entry_point: importlib.metadata.EntryPoint, pools: list[type[BaseWorkerPool]]
) -> Callable[[type[BaseWorkerPool]], None]:
    def register(pool: type[BaseWorkerPool]) -> None:
        if not (isinstance(pool, type) and issubclass(pool, BaseWorkerPool)):
            raise TypeError(
                f"plugin {entry_point.name!r} registered {pool!r}, which is not a subclass of "
                "chariots_core.workers.BaseWorkerPool"
            )
        if not pool.backend:
            raise TypeError(
                f"plugin {entry_point.name!r} registered {pool.__name__}, whose `backend` is "
                f"empty (set it to {entry_point.name!r})"
            )
        if pool not in pools:
            pools.append(pool)

    return register


def _check_hooks_are_known(manager: pluggy.PluginManager, plugin: object) -> None:
    """Refuse a plugin implementing a hook chariots does not define (most often a typo)."""
    for caller in manager.get_hookcallers(plugin) or []:
        if caller.has_spec():
            continue
        for implementation in caller.get_hookimpls():
            if implementation.plugin is plugin and not implementation.optionalhook:
                known = [name for name in dir(hookspecs) if name.startswith("chariots_")]
                raise pluggy.PluginValidationError(
                    plugin,
                    f"{implementation.plugin_name!r} implements {caller.name!r}, which is not a "
                    f"chariots hook (the hooks are: {', '.join(known)})",
                )


def _not_installed_message(name: str, installed: list[str]) -> str:
    parts = [
        f"no worker pool backend named {name!r} is installed "
        f"(installed backends: {', '.join(installed) or 'none'})"
    ]
    close = difflib.get_close_matches(name, installed, n=1)
    if close and name not in KNOWN_BACKEND_DISTRIBUTIONS:
        parts.append(f"did you mean {close[0]!r}?")
    parts.append(install_hint(name))
    return "; ".join(parts)


_registry = PluginRegistry()


def load_backend(name: str) -> tuple[type[BaseWorkerPool], ...]:
    """The pools of backend ``name`` (see :meth:`PluginRegistry.load_backend`)."""
    return _registry.load_backend(name)


def available_backends() -> list[BackendInfo]:
    """Every installed ``chariots`` entry point, with its distribution, pools and capabilities,
    or the reason it fails to load."""
    return _registry.available_backends()


def register_observer(observer: object, name: str | None = None) -> None:
    """Add an object implementing lifecycle hooks (``chariots_job_submitted``,
    ``chariots_job_started``, ``chariots_job_finished``, each marked with ``@hookimpl``)."""
    _registry.register_observer(observer, name)


def unregister_observer(observer: object) -> None:
    """Remove an observer :func:`register_observer` added."""
    _registry.unregister_observer(observer)


def lifecycle_hooks() -> Any:
    """The lifecycle relay: ``lifecycle_hooks().chariots_job_finished(job=job)`` calls every
    observer and every installed plugin implementing that hook."""
    return _registry.lifecycle_hooks()


#: the pool classes ``chariots_core.workers`` exports by name, each with its backend
EXPORTED_POOL_CLASSES = {
    "EmbeddedWorkerPool": "embedded",
    "RQWorkerPool": "rq",
    "CeleryWorkerPool": "celery",
    "DramatiqWorkerPool": "dramatiq",
}


def exported_pool_class(attribute: str) -> type[BaseWorkerPool]:
    """The class behind ``chariots_core.workers.<attribute>``, through its backend's entry point
    (:class:`BackendNotInstalled`, an ``ImportError``, when that backend is not installed)."""
    pools = load_backend(EXPORTED_POOL_CLASSES[attribute])
    return next((pool for pool in pools if pool.__name__ == attribute), pools[0])
