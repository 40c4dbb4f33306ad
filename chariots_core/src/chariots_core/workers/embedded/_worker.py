"""Workers of the embedded pool: loops that take messages and hand them to the runtime.

A :class:`WorkerLoop` takes the next message of its queue, runs it with a :data:`JobRunner` and
removes it (or hands it back for a retry). Its heartbeat in the worker roster says it is alive:
in thread mode a :class:`WorkerGroup` runs loops in threads with one more thread beating for all;
in process mode a single-threaded worker process beats in its own loop (:class:`InlineHeartbeat`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chariots_core.database import utc_now
from chariots_core.errors import BadRequest
from chariots_core.jobs import JobMessage, JobStatus
from chariots_core.workers._apps import get_app
from chariots_core.workers._runtime import RunOutcome, new_worker_id
from chariots_core.workers.embedded._queue import MessageQueue, TakenMessage
from chariots_core.workers.embedded._roster import WorkerRoster

logger = logging.getLogger(__name__)

#: runs one message as the worker of the given id (in this thread or in a work horse)
JobRunner = Callable[[JobMessage, str], RunOutcome]


@dataclass(frozen=True)
class WorkerSettings:
    """How often workers look for messages, and when a silent worker is taken for dead.

    ``heartbeat_timeout`` is the job store's: a worker that has not beaten for that long is
    dead, and the messages it held may be taken by others (as the runtime then lets their jobs
    be claimed again). Workers beat every ``beat_interval`` (at most a second).
    """

    poll_interval: float
    heartbeat_timeout: float

    @property
    def beat_interval(self) -> float:
        return min(1.0, self.heartbeat_timeout / 4)

    def live_since(self) -> datetime:
        return utc_now() - timedelta(seconds=self.heartbeat_timeout)


class WorkerLoop:
    """One worker: takes the next message of its queue, runs it, and repeats until stopped."""

    def __init__(
        self,
        queue: MessageQueue,
        run: JobRunner,
        settings: WorkerSettings,
        stop: threading.Event,
        worker_id: str,
        tick: Callable[[], None] | None = None,
    ) -> None:
        self.queue = queue
        self.run = run
        self.settings = settings
        self.stop = stop
        self.worker_id = worker_id
        self.tick = tick

    def serve(self) -> None:
        """Work until the stop event is set; the job in hand is always finished first.
        ``tick`` (a heartbeat) is called at each turn."""
        while not self.stop.is_set():
            if self.tick is not None:
                self.tick()
            try:
                worked = self.work_once()
            except Exception:  # the database is unreachable, say: try again a little later
                logger.exception("worker %s failed to take a message", self.worker_id)
                worked = False
            if not worked:
                self.stop.wait(self.settings.poll_interval)

    def work_once(self) -> bool:
        """Take and run one message; whether there was one."""
        taken = self.queue.take(self.worker_id, self.settings.live_since())
        if taken is None:
            return False
        try:
            message = JobMessage.from_json(taken.text)
        except BadRequest:
            logger.exception("dropping message %d: it is not a job message", taken.row_id)
            self.queue.delete(taken.row_id, self.worker_id)
            return True
        if taken.taken_from is not None:
            logger.info("job %s taken over from dead worker %s", message.job_id, taken.taken_from)
        self._run(taken, message)
        return True

    def _run(self, taken: TakenMessage, message: JobMessage) -> None:
        try:
            outcome = self.run(message, self.worker_id)
        except Exception:
            # where the run got to is unknown: hand the message back; the runtime's claim lets
            # it run again only once the job is not running anywhere (its heartbeat went stale)
            logger.exception("job %s could not be run; handing it back", message.job_id)
            self.queue.release(taken.row_id, self.worker_id, self.settings.beat_interval)
            return
        if outcome.retry:
            self.queue.release(taken.row_id, self.worker_id, message.options.retry_interval)
        elif not outcome.ran and _running_elsewhere(message):
            # a redelivery that came before the job's own heartbeat went stale: try again later
            self.queue.release(taken.row_id, self.worker_id, self.settings.beat_interval)
        else:
            self.queue.delete(taken.row_id, self.worker_id)


def _running_elsewhere(message: JobMessage) -> bool:
    """Whether the job is running, in another worker's hands, and may go on — or was, and has
    just been found lost (its heartbeat went stale between the failed claim and this look):
    the message is handed back either way, and its next delivery claims a lost job."""
    try:
        store = get_app(message.app).job_store
        job = None if store is None else store.get(message.job_id)
    except LookupError:  # no such app here, no such job (any more)
        return False
    return (
        job is not None
        and job.status in (JobStatus.running, JobStatus.lost)
        and not job.cancel_requested
    )


class WorkerGroup:
    """``count`` worker loops in threads of this process, and the heartbeat saying they live.

    Each loop records itself in the roster when the group starts and removes itself when it
    stops; the heartbeat thread beats for the loops still running.
    """

    def __init__(
        self,
        queue: MessageQueue,
        roster: WorkerRoster,
        run: JobRunner,
        settings: WorkerSettings,
        count: int,
        label: str,
    ) -> None:
        self.roster = roster
        self.settings = settings
        self.stop_event = threading.Event()
        self.loops = [
            WorkerLoop(queue, run, settings, self.stop_event, new_worker_id(f"{label}{index}"))
            for index in range(count)
        ]
        self._running = {loop.worker_id for loop in self.loops}
        self._lock = threading.Lock()
        self._all_stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def worker_ids(self) -> list[str]:
        return [loop.worker_id for loop in self.loops]

    def start(self) -> None:
        """Record the workers and start their threads (daemons: they never hold up an exit)."""
        self.roster.join(self.worker_ids)
        for loop in self.loops:
            thread = threading.Thread(
                target=self._serve, args=(loop,), name=f"chariots-{loop.worker_id}", daemon=True
            )
            self._threads.append(thread)
        self._threads.append(
            threading.Thread(target=self._beat, name="chariots-worker-heartbeat", daemon=True)
        )
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Ask every loop to stop once the job in hand is done."""
        self.stop_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the loops to stop; whether they all did within ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._all_stopped.is_set():
            remaining = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if remaining <= 0:
                return False
            # short waits, so that Ctrl-C reaches a main thread waiting here
            self._all_stopped.wait(remaining)
        return True

    def _serve(self, loop: WorkerLoop) -> None:
        try:
            loop.serve()
        finally:
            # under the lock that the heartbeat holds too, so that no beat brings the row back
            with self._lock:
                self._running.discard(loop.worker_id)
                try:
                    self.roster.leave(loop.worker_id)
                except Exception:  # its row goes stale and another worker's beat removes it
                    logger.warning("worker %s could not sign off", loop.worker_id, exc_info=True)
                if not self._running:
                    self._all_stopped.set()

    def _beat(self) -> None:
        while not self._all_stopped.wait(self.settings.beat_interval):
            with self._lock:
                try:
                    self.roster.beat(self._running, dead_before=self.settings.live_since())
                except Exception:  # a missed beat is retried at the next interval
                    logger.warning("workers' heartbeat failed", exc_info=True)


class InlineHeartbeat:
    """The heartbeat of one worker, called from its own thread (at most every beat interval):
    a forking worker keeps other threads away from the database (see ``_work_horse``)."""

    def __init__(self, roster: WorkerRoster, worker_id: str, settings: WorkerSettings) -> None:
        self.roster = roster
        self.worker_id = worker_id
        self.settings = settings
        self._next = 0.0

    def __call__(self) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.settings.beat_interval
        try:
            self.roster.beat([self.worker_id], dead_before=self.settings.live_since())
        except Exception:  # a missed beat is retried at the next interval
            logger.warning("heartbeat of worker %s failed", self.worker_id, exc_info=True)
