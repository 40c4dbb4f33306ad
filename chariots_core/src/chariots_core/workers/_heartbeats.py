"""One thread beating for every job running in a process.

A run's heartbeat says its worker lives (see :class:`~chariots_core.jobs.JobStore`). Starting a
thread for each job cost about half a millisecond of every job's path; one daemon thread per
process, started at the first run, beats for each running job when its interval is due.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)


class Beating(Protocol):
    """A run that beats: every ``heartbeat_interval`` seconds, :meth:`beat` is called."""

    heartbeat_interval: float

    def beat(self) -> None: ...


class Heartbeats:
    """The runs of this process that beat, and the thread that beats for them."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._due: dict[Beating, float] = {}
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # when the thread looks again by itself

    def add(self, run: Beating) -> None:
        """Beat for ``run`` from one interval from now until :meth:`remove` (the thread is
        woken only if the run is due before it looks again: a job of milliseconds wakes none)."""
        with self._condition:
            due = self._due[run] = time.monotonic() + run.heartbeat_interval
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="chariots-heartbeats", daemon=True
                )
                self._thread.start()
            if due < self._wakes_at:
                self._condition.notify()

    def remove(self, run: Beating) -> None:
        with self._condition:
            self._due.pop(run, None)

    def _serve(self) -> None:
        while True:
            run = self._next_due()
            try:
                run.beat()
            except Exception:  # a missed beat is retried at the next interval
                logger.warning("a job's heartbeat failed", exc_info=True)

    def _next_due(self) -> Beating:
        with self._condition:
            while True:
                if not self._due:
                    self._wakes_at = math.inf
                    self._condition.wait()
                    continue
                run, when = min(self._due.items(), key=lambda item: item[1])
                delay = when - time.monotonic()
                if delay <= 0:
                    self._wakes_at = -math.inf  # beating: an add meanwhile is seen next turn
                    self._due[run] = time.monotonic() + run.heartbeat_interval
                    return run
                self._wakes_at = when
                self._condition.wait(delay)

    def _reset_in_child(self) -> None:
        # a forked child has none of the parent's threads, and none of its runs
        self._condition = threading.Condition()
        self._due = {}
        self._thread = None
        self._wakes_at = math.inf


#: the heartbeats of this process
heartbeats = Heartbeats()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=heartbeats._reset_in_child)


@dataclass(eq=False)
class _Beat:
    beat: Callable[[], None]
    heartbeat_interval: float


@contextmanager
def beating(beat: Callable[[], None], every: float) -> Iterator[None]:
    """Call ``beat()`` every ``every`` seconds while the block runs, from the process's one
    heartbeat thread: for a worker that runs a job itself and must meanwhile tell its broker
    that it lives (RQ's simple worker). A beat that raises is logged and tried again."""
    run = _Beat(beat, every)
    heartbeats.add(run)
    try:
        yield
    finally:
        heartbeats.remove(run)
