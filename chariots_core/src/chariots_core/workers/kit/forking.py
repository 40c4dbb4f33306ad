"""Forking safely: the ``fork`` start method, hygiene before a fork, and orphan watchdogs.

Workers of a chariots app are forked from the process that loaded the app, so that they have
its pipelines without pickling anything. A fork copies the parent's state mid-use, so:

- before forking, :func:`prepare_fork` warms the process once (the plugins' hooks loaded, the job
  stores' statements compiled, the apps' pipelines loaded: so that no child does it for its
  job) and closes the idle SQLite connections (SQLite keeps its lock bookkeeping per process: a
  child that inherited it could wait on a lock nobody holds);
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.context import ForkContext

from chariots_core.database import close_sqlite_connections
from chariots_core.errors import WorkerPoolError

__all__ = [
    "early_stop",
    "fork_context",
    "hold_stops_until_ready",
    "orphans_stop",
    "prepare_fork",
    "stop_when_orphaned",
    "when_orphaned",
]


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
    from chariots_core.workers._runtime import warm_for_fork

    warm_for_fork()  # here, once, not in every child
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


_forks = threading.local()


@contextmanager
def orphans_stop() -> Iterator[None]:
    """Within the block, a process forked from this thread, by whatever code (a backend's
    scheduler, its work horses), is sent SIGTERM once this process is gone: a worker killed with
    SIGKILL leaves no child running (RQ's scheduler would go on until its broker went away)."""
    previous = getattr(_forks, "parent", None)
    _forks.parent = os.getpid()
    try:
        yield
    finally:
        _forks.parent = previous


def _watch_parent_after_fork() -> None:
    parent = getattr(_forks, "parent", None)
    if parent is not None:  # in the child: the forking thread's copy holds the parent's pid
        _forks.parent = None
        stop_when_orphaned(parent)


os.register_at_fork(after_in_child=_watch_parent_after_fork)

#: set by a SIGINT/SIGTERM that came while a worker started (see :func:`hold_stops_until_ready`)
early_stop = threading.Event()
_holding_pid = 0


def hold_stops_until_ready() -> None:
    """Until the backend's worker installs its own signal handlers, SIGINT and SIGTERM only set
    :data:`early_stop` (in this process; a process it forks meanwhile, such as a scheduler,
    gets the signal's usual effect): a stop asked while a worker registers with its broker then
    waits for the handlers, and the worker checks ``early_stop`` once they are in place, instead
    of dying registered. Call it from the main thread, first thing in the worker's life."""
    global _holding_pid
    if threading.current_thread() is not threading.main_thread():
        return
    _holding_pid = os.getpid()
    early_stop.clear()
    signal.signal(signal.SIGINT, _hold)
    signal.signal(signal.SIGTERM, _hold)


def _hold(signum: int, frame: object) -> None:
    if os.getpid() != _holding_pid:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    early_stop.set()
