"""`FileQueueWorkerPool`: a queue of chariots job messages on a directory of files.

The directory holds three folders:

- ``queue/``: one file per waiting message, named ``<rank>-<available at>-<sequence>-<job id>.json``
  so that sorting the names gives the order to run them in (higher priority first, then the time
  a message becomes available, then the order of submission);
- ``taken/``: the messages workers took: a worker takes a message by renaming its file here, and a
  rename is atomic, so two workers racing for one message cannot both get it;
- ``workers/``: one file per live worker, touched as its heartbeat and removed when it stops.

Workers are threads of the process that starts them, or, with ``processes=True``, worker
processes (the chariots kit's supervised processes), each running every job in a work horse that
is killed at the job's timeout: that mode declares ``timeouts`` too.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import ClassVar

from chariots_core.jobs import JobMessage
from chariots_core.workers import (
    BaseWorkerPool,
    Capability,
    MessageAction,
    RunOutcome,
    new_worker_id,
    run_job,
)
from chariots_core.workers.kit import (
    BackgroundWorkers,
    Flag,
    Seconds,
    SignalLatch,
    parse_pool_url,
    run_in_foreground,
    run_in_work_horse,
)

logger = logging.getLogger(__name__)

SCHEME = "filequeue"
#: the options of ``filequeue://`` URLs
URL_OPTIONS = {
    "poll_interval": Seconds(0.02, "seconds an idle worker waits before it looks again"),
    "beat_interval": Seconds(0.25, "seconds between two heartbeats of a worker"),
    "processes": Flag(False, "workers in processes, each job in a work horse"),
}
#: priorities are clamped to ±(MAX_PRIORITY - 1) to fit the file names' fixed width
MAX_PRIORITY = 10**6
#: a worker whose heartbeat file is older than this many beat intervals is taken for dead
DEAD_AFTER_BEATS = 4


def _safe(name: str) -> str:
    return name.replace(":", "_").replace("/", "_")


class FileQueueWorkerPool(BaseWorkerPool):
    """A queue on a directory of files, shared by every pool instance (and process) using it.

    Workers are threads of the process that starts them (``start_workers``, or ``run_worker``
    for ``chariots worker --pool filequeue:///path``); any number of processes may run workers
    on one directory; with ``processes=True``, they are worker processes running each job in a
    work horse. Built from ``filequeue:///abs/path?poll_interval=0.02&processes=true``.
    """

    backend: ClassVar[str] = SCHEME
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.cancel_queued,
            Capability.interrupt_running,
            Capability.retries,
            Capability.delay,
            Capability.priority,
        }
    )

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        poll_interval: float = 0.02,
        beat_interval: float = 0.25,
        processes: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.poll_interval = poll_interval
        self.beat_interval = beat_interval
        self.processes = processes
        if processes:  # a work horse can be killed inside a node: timeouts hold
            vars(self)["capabilities"] = type(self).capabilities | {Capability.timeouts}
        self._background = BackgroundWorkers("chariots-filequeue-worker")
        for folder in (self.queue_folder, self.taken_folder, self.workers_folder):
            folder.mkdir(parents=True, exist_ok=True)
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._sequence = itertools.count()

    @classmethod
    def from_url(cls, url: str) -> FileQueueWorkerPool:
        parsed = parse_pool_url(url, SCHEME, URL_OPTIONS)
        if parsed.host or not parsed.path.startswith("/"):
            raise ValueError(f"{parsed.describe()!r} must name a folder ({SCHEME}:///abs/path)")
        return cls(parsed.path, **parsed.options)

    @property
    def queue_folder(self) -> Path:
        return self.directory / "queue"

    @property
    def taken_folder(self) -> Path:
        return self.directory / "taken"

    @property
    def workers_folder(self) -> Path:
        return self.directory / "workers"

    # -- the queue -----------------------------------------------------------------------------

    def submit(self, message: JobMessage) -> str | None:
        options = message.options
        rank = MAX_PRIORITY - max(-MAX_PRIORITY + 1, min(options.priority, MAX_PRIORITY - 1))
        self._put(message.job_id, message.to_json(), rank, options.delay or 0.0)
        return "waiting"

    def cancel(self, job_id: str) -> bool:
        removed = False
        for path in self.queue_folder.glob(f"*-{job_id}.json"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed = True
        return removed

    def _put(self, job_id: str, text: str, rank: int, delay: float) -> None:
        """Queue ``text`` under its ``rank`` (a smaller rank runs first)."""
        available_at = int((time.time() + delay) * 1000)
        sequence = f"{time.time_ns():020d}{next(self._sequence) % 10**6:06d}"
        name = f"{rank:07d}-{available_at:015d}-{sequence}-{job_id}.json"
        # written beside, then renamed: a worker never reads half a message
        partial = self.queue_folder / f".{uuid.uuid4().hex}.partial"
        partial.write_text(text)
        os.replace(partial, self.queue_folder / name)

    def _take(self, worker_id: str) -> tuple[Path, str] | None:
        """Take the first available message for ``worker_id``: its file in ``taken/`` and text."""
        now = int(time.time() * 1000)
        for name in sorted(os.listdir(self.queue_folder)):
            if name.startswith(".") or int(name.split("-")[1]) > now:
                continue
            taken = self.taken_folder / f"{_safe(worker_id)}--{name}"
            try:
                os.rename(self.queue_folder / name, taken)
            except FileNotFoundError:  # another worker took it first
                continue
            return taken, taken.read_text()
        return None

    def _run(self, taken: Path, text: str, worker_id: str, runner: Runner) -> None:
        # every message goes to the runner, as it came: run_job drops what is no job message
        rank, _, _, job_id = taken.name.split("--", 1)[1].removesuffix(".json").split("-", 3)
        try:
            outcome = runner(text, worker_id)
        except Exception:  # the job store is unreachable, say: deliver it again a little later
            logger.exception("job %s could not be run; it goes back to the queue", job_id)
            self._put(job_id, text, int(rank), 1.0)
        else:
            if outcome.action is MessageAction.later:  # a retry, not due yet, or held elsewhere
                self._put(job_id, text, int(rank), outcome.delay)
        taken.unlink(missing_ok=True)  # acknowledged (ack), or dropped (drop)

    # -- workers -------------------------------------------------------------------------------

    @property
    def n_workers(self) -> int:
        fresh_since = time.time() - DEAD_AFTER_BEATS * self.beat_interval
        count = 0
        for path in self.workers_folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime >= fresh_since:
                    count += 1
        return count

    def start_workers(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError(f"start at least one worker, not {n}")
        if self.processes:  # returns once each process called ready()
            self._background.start(self._work_in_process, n)
            return
        started = [_Worker(self, f"{SCHEME}-{index}") for index in range(n)]
        for worker in started:
            worker.start()
        with self._lock:
            self._workers.extend(started)

    def stop_workers(self, timeout: float = 30.0) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop.set()
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if not worker.is_alive():
                worker.stop.close()
        self._background.stop(max(0.0, deadline - time.monotonic()))

    def run_worker(self, concurrency: int = 1) -> None:
        # `chariots worker` turns SIGTERM into KeyboardInterrupt, as Ctrl-C: stop gracefully
        if self.processes:  # supervised: a process that dies is replaced
            name = "chariots-filequeue-worker"
            run_in_foreground(self._work_in_process, concurrency, name=name, inline=False)
            return
        self.start_workers(concurrency)
        stopped = threading.Event()
        try:
            while not stopped.wait(0.2):  # short waits, so that the interrupt reaches us
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop_workers()

    def _work_in_process(self, ready: Callable[[], None]) -> None:
        """A worker process's life: one worker, each job in a work horse; SIGTERM (or Ctrl-C)
        stops it once the job in hand is done."""
        worker = _Worker(self, f"{SCHEME}-process", runner=run_in_work_horse)

        def stop(signum: int, frame: FrameType | None) -> None:
            worker.stop.set()  # a SignalLatch: takes no lock, so a handler may set it

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        ready()
        worker.run()  # in this process's main thread

    def close(self) -> None:
        self.stop_workers()

    def describe(self) -> str:
        return f"filequeue pool on {self.directory}"


#: runs one message as a worker: ``run_job`` here, or ``run_in_work_horse`` in a forked child
Runner = Callable[[str, str], RunOutcome]


class _Worker(threading.Thread):
    """One worker: a thread taking messages, and a heartbeat file saying it lives."""

    def __init__(self, pool: FileQueueWorkerPool, label: str, runner: Runner = run_job) -> None:
        super().__init__(name=f"chariots-{label}", daemon=True)
        self.pool = pool
        self.runner = runner
        self.worker_id = new_worker_id(label)
        #: set to stop; a latch, not a threading.Event, since a signal handler sets it
        self.stop = SignalLatch()
        self.heartbeat = pool.workers_folder / _safe(self.worker_id)
        self.heartbeat.touch()  # counted from the moment start_workers returns

    def run(self) -> None:
        beating = threading.Thread(target=self._beat, name=f"{self.name}-heartbeat", daemon=True)
        beating.start()
        try:
            while not self.stop.is_set():
                taken = self.pool._take(self.worker_id)
                if taken is None:
                    self.stop.wait(self.pool.poll_interval)
                    continue
                self.pool._run(*taken, self.worker_id, self.runner)
        finally:
            self.stop.set()
            self.heartbeat.unlink(missing_ok=True)
            beating.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.pool.beat_interval):
            with contextlib.suppress(FileNotFoundError):
                os.utime(self.heartbeat)
