"""The apps a worker can run jobs for, found by name (messages carry the app's name only)."""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING

from chariots_core.errors import ChariotsError

if TYPE_CHECKING:
    from chariots_core.pipelines import PipelinesServer

_apps: dict[str, PipelinesServer] = {}
_lock = threading.Lock()


class AppNotFound(ChariotsError, LookupError):
    """A job names an app this worker process does not have."""

    http_status = 404


def register_app(app: PipelinesServer) -> None:
    """Make ``app`` runnable by the workers of this process (servers register themselves)."""
    with _lock:
        _apps[app.name] = app
    from chariots_core.workers._app_listeners import notify_app_registered

    notify_app_registered(app)


def get_app(name: str) -> PipelinesServer:
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


def registered_apps() -> list[PipelinesServer]:
    """Every app registered in this process."""
    with _lock:
        return list(_apps.values())


def load_app(spec: str) -> PipelinesServer:
    """Import ``package.module:attribute`` and return the app there (registering it)."""
    from chariots_core.pipelines import PipelinesServer

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"an app is given as 'package.module:attribute', not {spec!r}")
    module = importlib.import_module(module_name)
    try:
        app = getattr(module, attribute)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not isinstance(app, PipelinesServer):
        raise ValueError(f"{spec!r} is a {type(app).__name__}, not a PipelinesServer")
    register_app(app)
    return app
