"""Forking safely: the ``fork`` start method, hygiene before a fork, and orphan watchdogs.

Workers of a chariots app are forked from the process that loaded the app, so that they have
its pipelines without pickling anything. A fork copies the parent's state mid-use, so:

- before forking, :func:`prepare_fork` closes the idle SQLite connections (SQLite keeps its lock
  bookkeeping per process: a child that inherited it could wait on a lock nobody holds) and
  loads the lifecycle hooks once (so that no child imports plugins for each job);
- in the child, every :class:`~chariots_core.database.Database` drops the parent's pooled
  connections without closing them (done by an ``os.register_at_fork`` hook of the database
  package, for every fork, whoever forks: RQ, Celery's prefork pool, Dramatiq's processes);
  clients of the backends (redis-py, kombu, pika) re-connect in the child by themselves;
- fork only from a thread while no other thread is using a database at that moment.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.context import ForkContext

from chariots_core.database import close_sqlite_connections
from chariots_core.errors import WorkerPoolError

__all__ = ["fork_context", "prepare_fork", "stop_when_orphaned", "when_orphaned"]


def fork_context() -> ForkContext:
    """The ``fork`` start method: children inherit the apps registered in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        raise WorkerPoolError(
            "workers of a chariots app are forked from the process that loaded it, and this "
            "platform cannot fork"
        )
    return multiprocessing.get_context("fork")


def prepare_fork() -> None:
    """Call right before forking a process that will use the app's databases."""
    from chariots_core.workers._plugins import lifecycle_hooks

    lifecycle_hooks()  # load the plugins' hooks here, once, not in every child
    close_sqlite_connections()


def when_orphaned(parent_pid: int, action: Callable[[], None], interval: float = 0.25) -> None:
    """Call ``action`` (in a daemon thread) once the process ``parent_pid`` is gone, so that a
    forked worker or work horse does not outlive the process that forked it."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            stop.wait(interval)
        action()

    stop = threading.Event()
    threading.Thread(target=watch, name="chariots-orphan-watch", daemon=True).start()


def stop_when_orphaned(parent_pid: int) -> None:
    """Send this process SIGTERM (a graceful stop) once ``parent_pid`` is gone."""
    when_orphaned(parent_pid, lambda: os.kill(os.getpid(), signal.SIGTERM))
