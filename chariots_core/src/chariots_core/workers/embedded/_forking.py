"""Forked processes of the embedded pool: what they need to know about the process above them."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.context import ForkContext

from chariots_core.errors import WorkerPoolError


def fork_context() -> ForkContext:
    """The ``fork`` start method: children inherit the apps registered in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        raise WorkerPoolError(
            "the embedded pool's process mode forks, and this platform cannot: use mode='thread'"
        )
    return multiprocessing.get_context("fork")


def when_orphaned(parent_pid: int, action: Callable[[], None], interval: float = 0.25) -> None:
    """Call ``action`` (in a daemon thread) once the process ``parent_pid`` is gone, so that a
    forked worker or work horse does not outlive the process that forked it."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            stop.wait(interval)
        action()

    stop = threading.Event()
    threading.Thread(target=watch, name="chariots-orphan-watch", daemon=True).start()
