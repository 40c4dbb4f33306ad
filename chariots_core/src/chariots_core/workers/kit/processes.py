"""Supervised worker processes: ``start_workers``, ``stop_workers`` and ``chariots worker
--concurrency N`` of every pool.

:class:`WorkerProcesses` forks ``count`` processes from this one (so that they have the apps
registered here), each running the pool's worker loop, ``target(ready)``:

- **readiness**: the loop calls ``ready()`` once it listens (registered with its broker, in the
  roster); :meth:`~WorkerProcesses.start` returns once every process did, or raises naming the
  one that died first;
- **stop**: SIGTERM to each (its loop finishes the job in hand and returns); at the timeout,
  the backend's cold-stop signal if it has one (``cold_signal``: its loop kills the job in hand
  and unregisters), and at last SIGKILL to what is left and every process below it (its work
  horses), whose running jobs are then marked ``lost`` at once;
- **orphans**: a worker process whose parent died stops by itself (SIGTERM to itself);
- **exit**: processes still running when the interpreter exits are stopped then;
- **supervision** (:meth:`~WorkerProcesses.run`, what ``run_worker`` does): a process that dies
  is logged with its exit status and replaced; when replacements keep failing (``max_deaths``
  deaths within ``death_window`` seconds, or ``max_failed_starts`` processes in a row that die
  before they are ready), :class:`WorkerProcessesFailed` is raised, so that ``chariots worker``
  exits non-zero and its own supervisor (systemd, Kubernetes) sees it.

In the worker process SIGINT raises ``KeyboardInterrupt`` and SIGTERM ends the process, until
the loop installs its own handlers (a graceful stop on SIGTERM).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import wait as wait_for_sentinels
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from chariots_core.errors import WorkerPoolError
from chariots_core.workers._apps import lose_jobs_of_workers
from chariots_core.workers.kit.forking import fork_context, prepare_fork, stop_when_orphaned

__all__ = [
    "BackgroundWorkers",
    "WorkerProcessTarget",
    "WorkerProcesses",
    "WorkerProcessesFailed",
    "descendants",
    "exit_reason",
    "kill_tree",
    "lose_jobs_of_process",
    "run_in_foreground",
]

logger = logging.getLogger(__name__)

#: a worker process's life: run the pool's worker loop, calling ``ready()`` once it listens
WorkerProcessTarget = Callable[[Callable[[], None]], object]


class WorkerProcessesFailed(WorkerPoolError):
    """Worker processes keep dying: the supervisor gave up (``chariots worker`` exits 1)."""


def exit_reason(exitcode: int | None) -> str:
    """``exit code 3``, ``killed by SIGKILL``: how a process ended, in words."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, grandchildren…), read from ``/proc`` (Linux; an
    empty list elsewhere)."""
    parents: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # the command name (field 2) is in parentheses and may hold spaces
                fields = stat.rsplit(")", 1)[-1].split()
                if len(fields) > 1:
                    parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        pending.extend(children)
    return found


def lose_jobs_of_process(pid: int, native_status: str = "worker killed") -> None:
    """Mark lost now the running jobs of the worker process ``pid`` of this host, in the job
    stores of the apps registered here (a process this one killed cannot record its end)."""
    lose_jobs_of_workers(f"{socket.gethostname()}:{pid}:", native_status)


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` first (so that it starts nothing more), then every process below it."""
    below = descendants(pid)
    for target in [pid, *below]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)


class WorkerProcesses:
    """``count`` worker processes forked from this one, each running ``target(ready)``."""

    #: seconds a new worker process has to call ``ready()``
    start_timeout = 30.0

    def __init__(
        self,
        target: WorkerProcessTarget,
        count: int,
        *,
        name: str = "chariots-worker",
        max_deaths: int = 5,
        death_window: float = 60.0,
        max_failed_starts: int = 3,
        cold_signal: signal.Signals | None = None,
        cold_grace: float = 10.0,
        cold_after: float = 0.0,
    ) -> None:
        if count < 1:
            raise ValueError(f"start at least one worker process, not {count}")
        self.target = target
        self.count = count
        self.name = name
        self.max_deaths = max_deaths
        self.death_window = death_window
        self.max_failed_starts = max_failed_starts
        #: sent at the stop's timeout (``cold_after`` seconds at least after the first signal,
        #: for backends that ignore a second signal too soon), ``cold_grace`` seconds before kill
        self.cold_signal, self.cold_grace, self.cold_after = cold_signal, cold_grace, cold_after
        self._first_signal = 0.0
        self._asked: set[int] = set()  # the pids already sent the graceful SIGTERM
        self.processes: list[BaseProcess] = []
        # re-entrant: ask_to_stop may run in a signal handler while this thread holds it
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._serial = 0

    # -- starting -------------------------------------------------------------------------------

    def start(self) -> None:
        """Fork the processes; return once each is ready (or raise, stopping those started)."""
        started = [self._fork() for _ in range(self.count)]
        try:
            for process, ready in started:
                self._wait_ready(process, ready)
        except BaseException:
            self.stop(timeout=1.0)
            raise

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [process.pid for process in self.processes if process.pid is not None]

    def _fork(self) -> tuple[BaseProcess, Event]:
        context = fork_context()
        ready = context.Event()
        with self._lock:
            self._serial += 1
            label = f"{self.name}-{self._serial}"
        process = context.Process(
            target=_worker_process_main,
            args=(self.target, ready, os.getpid()),
            name=label,
        )
        prepare_fork()
        process.start()
        with self._lock:
            self.processes.append(process)
        _started.add(self)
        _stop_at_exit()
        return process, ready

    def _wait_ready(self, process: BaseProcess, ready: Event) -> None:
        deadline = time.monotonic() + self.start_timeout
        while not ready.wait(0.02):
            if not process.is_alive():
                raise WorkerPoolError(
                    f"worker process {process.name} (pid {process.pid}) exited before it was "
                    f"ready ({exit_reason(process.exitcode)}); see its log above"
                )
            if time.monotonic() > deadline:
                raise WorkerPoolError(
                    f"worker process {process.name} (pid {process.pid}) was not ready within "
                    f"{self.start_timeout:g}s"
                )

    # -- stopping -------------------------------------------------------------------------------

    def ask_to_stop(self) -> None:
        """SIGTERM to every worker process: each stops once its job in hand is done."""
        self._stopping.set()
        self._first_signal = self._first_signal or time.monotonic()
        self._signal_all(signal.SIGTERM, once=True)

    def _signal_all(self, signum: int, *, once: bool = False) -> None:
        """Send ``signum`` to the live processes (with ``once``: those not sent it yet; a
        second SIGTERM is a cold stop to some backends)."""
        with self._lock:
            processes = [p for p in self.processes if not (once and p.pid in self._asked)]
            if once:
                self._asked.update(p.pid for p in processes if p.pid is not None)
        for process in processes:
            if process.pid is not None and process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signum)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker processes to exit; whether they all did within ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            processes = list(self.processes)
        for process in processes:
            while process.is_alive():
                remaining = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
                if remaining <= 0:
                    return False
                process.join(remaining)  # short waits, so that Ctrl-C reaches this thread
        return True

    def stop(self, timeout: float = 30.0) -> None:
        """Stop gracefully within ``timeout`` seconds, then stop cold (``cold_signal``) and at
        last kill what is left (and the processes below it: its work horses); the running jobs
        of the processes that did not stop gracefully are marked ``lost`` at once."""
        self.ask_to_stop()
        if self.wait(timeout):
            late: list[BaseProcess] = []
        else:
            with self._lock:
                late = [process for process in self.processes if process.is_alive()]
            if self.cold_signal is not None:
                time.sleep(max(0.0, self._first_signal + self.cold_after - time.monotonic()))
                self._signal_all(self.cold_signal)
                self.wait(self.cold_grace)
        for process in late:
            if process.is_alive():
                logger.warning(
                    "worker process %s (pid %s) did not stop within %gs: killed",
                    process.name,
                    process.pid,
                    timeout,
                )
                if process.pid is not None:
                    kill_tree(process.pid)
                process.join()
            if process.pid is not None:
                lose_jobs_of_process(process.pid)
        with self._lock:
            processes, self.processes = self.processes, []
        for process in processes:
            with contextlib.suppress(ValueError):
                process.close()
        _started.discard(self)

    # -- supervising ----------------------------------------------------------------------------

    def run(self) -> None:
        """Start the processes and supervise them until Ctrl-C or SIGTERM (``KeyboardInterrupt``
        here, as ``chariots worker`` raises it), which stops them once their jobs in hand are
        done (a second Ctrl-C kills them). Raises :class:`WorkerProcessesFailed` when dead
        processes cannot be replaced."""
        try:
            for _ in range(self.count):  # as replacements are: retried, up to a bound
                self._replace(0)
            try:
                self.supervise()
            except KeyboardInterrupt:
                logger.warning("stopping once the jobs in hand are done (Ctrl-C abandons them)")
            self.ask_to_stop()  # and to any process started while the stop was asked
            self.wait()
        finally:
            self.stop(timeout=0)  # nothing is left after a clean stop; else kill

    def supervise(self) -> None:
        """Replace worker processes that die, until :meth:`ask_to_stop` (or a stop)."""
        deaths: deque[float] = deque()
        failed_starts = 0
        while not self._stopping.is_set():
            with self._lock:
                by_sentinel = {process.sentinel: process for process in self.processes}
            if not by_sentinel:
                return
            ended = wait_for_sentinels(list(by_sentinel), timeout=0.2)
            for process in [by_sentinel[s] for s in by_sentinel if s in ended]:
                process.join()
                exitcode = process.exitcode
                with self._lock:
                    if process in self.processes:
                        self.processes.remove(process)
                with contextlib.suppress(ValueError):
                    process.close()
                if self._stopping.is_set():
                    continue
                now = time.monotonic()
                deaths.append(now)
                while deaths and deaths[0] < now - self.death_window:
                    deaths.popleft()
                logger.error(
                    "worker process %s died (%s); starting another",
                    process.name,
                    exit_reason(exitcode),
                )
                if len(deaths) > self.max_deaths:
                    raise WorkerProcessesFailed(
                        f"{len(deaths)} worker processes died within {self.death_window:g}s: "
                        "giving up"
                    )
                failed_starts = self._replace(failed_starts)

    def _replace(self, failed_starts: int) -> int:
        while not self._stopping.is_set():
            replacement, ready = self._fork()
            try:
                self._wait_ready(replacement, ready)
                return 0
            except WorkerPoolError as error:
                failed_starts += 1
                logger.error("%s", error)
                with self._lock:
                    if replacement in self.processes:
                        self.processes.remove(replacement)
                if replacement.pid is not None and replacement.is_alive():
                    kill_tree(replacement.pid)
                replacement.join()
                if failed_starts >= self.max_failed_starts:
                    raise WorkerProcessesFailed(
                        f"{failed_starts} worker processes in a row died before they were "
                        f"ready: giving up ({error})"
                    ) from None
        return failed_starts


class BackgroundWorkers:
    """The worker processes a pool started in the background: what its ``start_workers`` and
    ``stop_workers`` keep. ``start(target, n)`` returns once the ``n`` processes are ready;
    ``stop(timeout)`` stops every process started, all within one deadline."""

    def __init__(self, name: str, **process_options: Any) -> None:
        self.name = name
        self.process_options = process_options
        self._started: list[WorkerProcesses] = []
        self._lock = threading.Lock()

    def start(self, target: WorkerProcessTarget, n: int) -> None:
        processes = WorkerProcesses(target, n, name=self.name, **self.process_options)
        processes.start()
        with self._lock:
            self._started.append(processes)

    def stop(self, timeout: float = 30.0) -> None:
        with self._lock:
            started, self._started = self._started, []
        for processes in started:
            processes.ask_to_stop()
        deadline = time.monotonic() + timeout
        for processes in started:
            processes.stop(max(0.0, deadline - time.monotonic()))

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [pid for processes in self._started for pid in processes.pids]


def run_in_foreground(
    target: WorkerProcessTarget,
    concurrency: int,
    *,
    name: str,
    inline: bool = True,
    **process_options: Any,
) -> None:
    """What a pool's ``run_worker(concurrency)`` does: with ``inline`` and one worker, run the
    worker loop in this process; else supervise ``concurrency`` worker processes
    (:meth:`WorkerProcesses.run`)."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    if inline and concurrency == 1:
        target(lambda: None)
    else:
        WorkerProcesses(target, concurrency, name=name, **process_options).run()


def _worker_process_main(target: WorkerProcessTarget, ready: Event, parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    stop_when_orphaned(parent_pid)
    from chariots_core.workers._plugins import lifecycle_hooks

    lifecycle_hooks()  # loaded before the worker listens: no job's first run pays for it
    try:
        target(ready.set)
    except KeyboardInterrupt:
        pass
    except BaseException:
        logger.error("worker process %s failed:\n%s", os.getpid(), traceback.format_exc())
        raise


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
