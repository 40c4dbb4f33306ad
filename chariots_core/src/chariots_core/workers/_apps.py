"""The apps a worker can run jobs for, found by name (messages carry the app's name only).

A worker sees an app only as a :class:`WorkerApp`: what :func:`~chariots_core.workers.run_job`
needs of it. The server (:class:`~chariots_core.pipelines.PipelinesServer`) is one, and registers
itself; nothing here imports it, so a worker process loads no web server of its own accord.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from chariots_core.errors import ChariotsError
from chariots_core.jobs import JobStore
from chariots_core.op_store import BaseOpStoreClient
from chariots_core.pipeline_model import Pipeline
from chariots_core.pipeline_model.callbacks import PipelineCallback
from chariots_core.pipeline_model.runners import BaseRunner

logger = logging.getLogger(__name__)


@runtime_checkable
class WorkerApp(Protocol):
    """What a worker needs of an app to run its jobs: its name (the one its jobs' messages
    carry), its job store, its op store's client, its pipelines by name, the runner and the
    callbacks its pipelines run with.

    Workers keep what they loaded for an app by the app object itself (weakly): an app is
    hashable and weakly referable, as a plain object is.
    """

    @property
    def name(self) -> str: ...

    @property
    def job_store(self) -> JobStore | None: ...

    @property
    def op_store_client(self) -> BaseOpStoreClient: ...

    @property
    def pipelines(self) -> Mapping[str, Pipeline]: ...

    @property
    def runner(self) -> BaseRunner: ...

    @property
    def default_pipeline_callbacks(self) -> Sequence[PipelineCallback]: ...


_apps: dict[str, WorkerApp] = {}
_lock = threading.Lock()


class AppNotFound(ChariotsError, LookupError):
    """A job names an app this worker process does not have."""

    http_status = 404


def register_app(app: WorkerApp) -> None:
    """Make ``app`` runnable by the workers of this process (servers register themselves)."""
    with _lock:
        _apps[app.name] = app
    _notify_app_registered(app)


def get_app(name: str) -> WorkerApp:
    """The app registered under ``name`` (its ``import_name``)."""
    with _lock:
        app = _apps.get(name)
        known = sorted(_apps)
    if app is None:
        raise AppNotFound(
            f"this worker has no app named {name!r} (it has {known or 'none'}); start it with "
            "`chariots worker --app package.module:app` for the app that submitted the job"
        )
    return app


def registered_apps() -> list[WorkerApp]:
    """Every app registered in this process."""
    with _lock:
        return list(_apps.values())


def load_app(spec: str) -> WorkerApp:
    """Import ``package.module:attribute`` and return the app there (registering it)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"an app is given as 'package.module:attribute', not {spec!r}")
    module = importlib.import_module(module_name)
    try:
        app = getattr(module, attribute)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not isinstance(app, WorkerApp):
        raise ValueError(f"{spec!r} is a {type(app).__name__}, not a PipelinesServer")
    register_app(app)
    return app


def lose_jobs_of_workers(worker_prefix: str, native_status: str) -> None:
    """End now the running jobs of the workers whose ids start with ``worker_prefix``
    (``host:pid:``: a worker process killed from here, which cannot record its end), in the job
    stores of the apps registered in this process (each database once)."""
    stores = {
        id(app.job_store.database): app.job_store for app in registered_apps() if app.job_store
    }
    for store in stores.values():
        try:
            store.lose_jobs_of(worker_prefix, native_status)
        except Exception as error:  # its heartbeat goes stale: the job is found lost later
            logger.warning(
                "could not mark the jobs of %s lost in %r: %s", worker_prefix, store, error
            )


#: a callback told of an app just registered (test helpers that start workers when an app is
#: built, such as :class:`~chariots_core.testing.worker_context.WorkerContext` entered first)
AppListener = Callable[[WorkerApp], None]

_listeners: list[AppListener] = []


def add_app_listener(listener: AppListener) -> None:
    """Call ``listener(app)`` for every app registered from now on, once it is registered."""
    with _lock:
        _listeners.append(listener)


def remove_app_listener(listener: AppListener) -> None:
    """Stop calling ``listener`` (nothing happens if it was not added)."""
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def _notify_app_registered(app: WorkerApp) -> None:
    with _lock:  # called outside the registry's lock: a listener may read the registry
        listeners = list(_listeners)
    for listener in listeners:
        listener(app)
