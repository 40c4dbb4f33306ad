"""Workers of the embedded pool: loops that take messages and hand them to the runtime.

A :class:`WorkerLoop` takes the next message of its queue, runs it with a :data:`JobRunner` and
does what the outcome says with it (removes it, or hands it back for later). Its heartbeat in the
worker roster says it is alive: in thread mode a :class:`WorkerGroup` runs loops in threads with
one more thread beating for all; in process mode (:func:`serve_in_process`) a single-threaded
worker process beats in its own loop and runs each job in a work horse.
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from chariots_core.errors import BadRequest
from chariots_core.jobs import JobMessage
from chariots_core.workers._outcome import MessageAction, RunOutcome
from chariots_core.workers._plugins import lifecycle_hooks
from chariots_core.workers._runtime import new_worker_id
from chariots_core.workers.embedded._queue import MessageQueue, TakenMessage
from chariots_core.workers.kit.roster import InlineHeartbeat, WorkerRoster
from chariots_core.workers.kit.signals import SignalLatch
from chariots_core.workers.kit.work_horse import run_in_work_horse

logger = logging.getLogger(__name__)

#: runs one message as the worker of the given id (in this thread or in a work horse)
JobRunner = Callable[[JobMessage, str], RunOutcome]


class WorkerLoop:
    """One worker: takes the next message of its queue, runs it, and repeats until stopped."""

    def __init__(
        self,
        queue: MessageQueue,
        roster: WorkerRoster,
        run: JobRunner,
        poll_interval: float,
        stop: threading.Event | SignalLatch,
        worker_id: str,
        tick: Callable[[], None] | None = None,
    ) -> None:
        self.queue = queue
        self.roster = roster
        self.run = run
        self.poll_interval = poll_interval
        self.stop = stop
        self.worker_id = worker_id
        self.tick = tick

    def serve(self) -> None:
        """Work until the stop event is set; the job in hand is always finished first.
        ``tick`` (a heartbeat) is called at each turn."""
        while not self.stop.is_set():
            if self.tick is not None:
                self.tick()
            seen = self.queue.puts_seen()  # a put from now on wakes the wait below
            try:
                worked = self.work_once()
            except Exception:  # the database is unreachable, say: try again a little later
                logger.exception("worker %s failed to take a message", self.worker_id)
                worked = False
            if not worked and not self.stop.is_set():
                # woken by a put (in this process, or rung by another), else at the next look
                self.queue.wait_for_put(self.poll_interval, seen)

    def work_once(self) -> bool:
        """Take and run one message; whether there was one."""
        taken = self.queue.take(self.worker_id, self.roster.live_since())
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
            self.queue.release(taken.row_id, self.worker_id, self.roster.beat_interval)
            return
        if outcome.action is MessageAction.later:
            self.queue.release(taken.row_id, self.worker_id, outcome.delay)
        else:
            self.queue.delete(taken.row_id, self.worker_id)


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
        poll_interval: float,
        count: int,
        label: str,
    ) -> None:
        self.roster = roster
        self.queue = queue
        self.stop_event = threading.Event()
        self.loops = [
            WorkerLoop(
                queue,
                roster,
                run,
                poll_interval,
                self.stop_event,
                new_worker_id(f"{label}{index}"),
            )
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
        """Record the workers and start their threads (daemons: they never hold up an exit).
        The plugins' hooks are loaded first: a job's first run does not pay for it."""
        lifecycle_hooks()
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
        self.queue.nudge()

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
        while not self._all_stopped.wait(self.roster.beat_interval):
            with self._lock:
                try:
                    self.roster.beat(self._running)
                except Exception:  # a missed beat is retried at the next interval
                    logger.warning("workers' heartbeat failed", exc_info=True)


def serve_in_process(
    queue: MessageQueue,
    roster: WorkerRoster,
    poll_interval: float,
    label: str,
    ready: Callable[[], None],
) -> None:
    """A worker process's life (the target of the kit's supervised worker processes): one
    worker, beating in its own loop, each job in a work horse; SIGTERM or SIGINT stop it once
    the job in hand is done."""
    stop = stop_on_signals(queue)
    worker_id = new_worker_id(label)
    beat = InlineHeartbeat(roster, worker_id)
    run = functools.partial(run_in_work_horse, while_waiting=beat)
    loop = WorkerLoop(queue, roster, run, poll_interval, stop, worker_id, tick=beat)
    roster.join([worker_id])
    ready()
    try:
        loop.serve()
    finally:
        roster.leave(worker_id)


def stop_on_signals(queue: MessageQueue) -> SignalLatch:
    """A latch that SIGTERM and SIGINT set, and the idle worker woken when they do (by a thread
    of its own: waking it takes the queue's locks, which the worker's thread, where the handler
    runs, may hold at that moment)."""
    stop = SignalLatch()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def wake_once_stopped() -> None:
        stop.wait()
        queue.nudge()

    threading.Thread(target=wake_once_stopped, name="chariots-stop-waker", daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop
