"""Callbacks told of every app registered in this process after they are added (test helpers
that start workers when an app is built, such as
:class:`~chariots_core.testing.worker_context.WorkerContext` entered before the app)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: a callback takes the app just registered (a ``WorkerApp``: a server registers itself)
AppListener = Callable[[Any], None]

_listeners: list[AppListener] = []
_lock = threading.Lock()


def add_app_listener(listener: AppListener) -> None:
    """Call ``listener(app)`` for every app registered from now on, once it is registered."""
    with _lock:
        _listeners.append(listener)


def remove_app_listener(listener: AppListener) -> None:
    """Stop calling ``listener`` (nothing happens if it was not added)."""
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def notify_app_registered(app: Any) -> None:
    """Tell every listener that ``app`` was registered (outside the registry's lock)."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(app)
