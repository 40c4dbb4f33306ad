"""Process mode's background workers: forked worker processes, stopped with SIGTERM."""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType

from chariots_core.errors import WorkerPoolError
from chariots_core.workers.embedded._forking import fork_context, when_orphaned
from chariots_core.workers.embedded._worker import WorkerGroup

#: seconds a new worker process may take to start listening
STARTUP_TIMEOUT = 30.0


class WorkerProcesses:
    """Worker processes forked from this one, each running the group ``make_group`` builds.

    :meth:`start` returns once they all listen; :meth:`stop` sends them SIGTERM (each finishes
    the job in hand) and kills those still there at the timeout. A worker process stops by
    itself when the process that forked it is gone.
    """

    def __init__(self, make_group: Callable[[], WorkerGroup], count: int) -> None:
        self.make_group = make_group
        self.count = count
        self.processes: list[BaseProcess] = []

    def start(self) -> None:
        context = fork_context()
        readiness: list[Event] = []
        for index in range(self.count):
            ready = context.Event()
            process = context.Process(
                target=_worker_process,
                args=(self.make_group, ready, os.getpid()),
                name=f"chariots-worker-{index}",
            )
            process.start()
            self.processes.append(process)
            readiness.append(ready)
        _started.add(self)
        _stop_at_exit()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        for started, ready in zip(self.processes, readiness, strict=True):
            while not ready.wait(0.05):
                if not started.is_alive() or time.monotonic() > deadline:
                    self.stop(timeout=1.0)
                    raise WorkerPoolError(
                        f"worker process {started.name} did not start "
                        f"(exit code {started.exitcode})"
                    )

    def stop(self, timeout: float) -> None:
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        self.processes.clear()
        _started.discard(self)


def _worker_process(make_group: Callable[[], WorkerGroup], ready: Event, parent_pid: int) -> None:
    group = make_group()

    def stop(signum: int, frame: FrameType | None) -> None:
        group.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    when_orphaned(parent_pid, group.stop)
    group.start()
    ready.set()
    group.join()


_started: weakref.WeakSet[WorkerProcesses] = weakref.WeakSet()
_exit_hook_lock = threading.Lock()
_exit_hook_registered = False


def _stop_at_exit() -> None:
    """Stop forgotten worker processes at exit, before ``multiprocessing`` waits for them
    (hooks run last-registered first, and this one is registered after its own)."""
    global _exit_hook_registered
    with _exit_hook_lock:
        if not _exit_hook_registered:
            atexit.register(_stop_all)
            _exit_hook_registered = True


def _stop_all() -> None:
    for processes in list(_started):
        processes.stop(timeout=5.0)
