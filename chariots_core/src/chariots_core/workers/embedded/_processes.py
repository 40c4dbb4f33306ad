"""Process mode's workers: forked worker processes, one worker each, stopped with SIGTERM.

Each worker process is single-threaded as far as the database goes (it beats in its own loop),
so that it can fork a work horse for each job safely (see ``_work_horse``).
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import threading
import time
import weakref
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType

from chariots_core.database import close_sqlite_connections
from chariots_core.errors import WorkerPoolError
from chariots_core.workers._runtime import new_worker_id
from chariots_core.workers.embedded._forking import fork_context, when_orphaned
from chariots_core.workers.embedded._queue import MessageQueue
from chariots_core.workers.embedded._roster import WorkerRoster
from chariots_core.workers.embedded._work_horse import run_in_work_horse
from chariots_core.workers.embedded._worker import InlineHeartbeat, WorkerLoop, WorkerSettings

#: seconds a new worker process may take to start listening
STARTUP_TIMEOUT = 30.0


class WorkerProcesses:
    """``count`` worker processes forked from this one, each running one forking worker.

    :meth:`start` returns once they all listen; :meth:`stop` sends them SIGTERM (each finishes
    the job in hand) and kills those still there at the timeout. A worker process stops by
    itself when the process that forked it is gone.
    """

    def __init__(
        self,
        queue: MessageQueue,
        roster: WorkerRoster,
        settings: WorkerSettings,
        count: int,
        label: str,
    ) -> None:
        self.queue = queue
        self.roster = roster
        self.settings = settings
        self.count = count
        self.label = label
        self.processes: list[BaseProcess] = []

    def start(self) -> None:
        context = fork_context()
        readiness: list[Event] = []
        close_sqlite_connections()
        for index in range(self.count):
            ready = context.Event()
            process = context.Process(
                target=self._serve,
                args=(f"{self.label}{index}", ready, os.getpid()),
                name=f"chariots-worker-{self.label}{index}",
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

    def ask_to_stop(self) -> None:
        """Send SIGTERM to the worker processes: each stops once its job in hand is done."""
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker processes to exit; whether they all did within ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for process in self.processes:
            while process.is_alive():
                remaining = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
                if remaining <= 0:
                    return False
                process.join(remaining)  # short waits, so that Ctrl-C reaches this thread
        return True

    def stop(self, timeout: float) -> None:
        """Stop gracefully within ``timeout`` seconds, then kill what is left."""
        self.ask_to_stop()
        if not self.wait(timeout):
            for process in self.processes:
                if process.is_alive():
                    process.kill()
                    process.join()
        self.processes.clear()
        _started.discard(self)

    def _serve(self, label: str, ready: Event, parent_pid: int) -> None:
        """A worker process's life: one worker, beating in its own loop."""
        stop = threading.Event()

        def stop_on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, stop_on_signal)
        signal.signal(signal.SIGINT, stop_on_signal)
        when_orphaned(parent_pid, stop.set)
        worker_id = new_worker_id(label)
        beat = InlineHeartbeat(self.roster, worker_id, self.settings)
        run = functools.partial(run_in_work_horse, while_waiting=beat)
        loop = WorkerLoop(self.queue, run, self.settings, stop, worker_id, tick=beat)
        self.roster.join([worker_id])
        ready.set()
        try:
            loop.serve()
        finally:
            self.roster.leave(worker_id)


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
