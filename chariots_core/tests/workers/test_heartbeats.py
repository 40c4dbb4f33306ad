"""The process's one heartbeat thread (``chariots_core.workers._heartbeats``) and the kit's
:func:`~chariots_core.workers.kit.beating` on it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from _polling import eventually

from chariots_core.workers import kit
from chariots_core.workers._heartbeats import Heartbeats


@dataclass(eq=False)
class CountedRun:
    heartbeat_interval: float
    beats: int = 0
    beaten: threading.Event = field(default_factory=threading.Event)

    def beat(self) -> None:
        self.beats += 1
        self.beaten.set()


def test_a_run_due_before_the_threads_next_look_wakes_it() -> None:
    """The thread sleeps until its earliest run is due; a run added meanwhile that is due
    sooner wakes it (one due later is found when it wakes by itself)."""
    heartbeats = Heartbeats()
    slow, fast = CountedRun(heartbeat_interval=600), CountedRun(heartbeat_interval=0.05)
    heartbeats.add(slow)
    eventually(lambda: heartbeats._wakes_at < float("inf"), what="the thread waits for the run")
    heartbeats.add(fast)
    assert fast.beaten.wait(30), "the run due sooner was not beaten: the thread slept on"
    eventually(lambda: fast.beats >= 3, what="it beats every interval")
    heartbeats.remove(fast)
    assert slow.beats == 0


def test_a_run_removed_is_beaten_no_more() -> None:
    heartbeats = Heartbeats()
    run, witness = CountedRun(heartbeat_interval=0.02), CountedRun(heartbeat_interval=0.02)
    heartbeats.add(run)
    assert run.beaten.wait(30)
    heartbeats.remove(run)
    count = run.beats
    heartbeats.add(witness)  # beaten after the removal: the thread went round since
    eventually(lambda: witness.beats >= 2, what="the thread beats on")
    assert run.beats - count <= 1  # at most the beat that was under way as it was removed


def test_beating_calls_its_beat_while_the_block_runs_and_not_after() -> None:
    beaten = threading.Event()
    calls: list[int] = []

    def beat() -> None:
        calls.append(1)
        beaten.set()

    with kit.beating(beat, 0.02):
        assert beaten.wait(30), "no beat while the block ran"
    after = len(calls)
    witness = CountedRun(heartbeat_interval=0.02)
    with kit.beating(witness.beat, 0.02):
        eventually(lambda: witness.beats >= 2, what="the thread beats on")
    assert len(calls) - after <= 1
