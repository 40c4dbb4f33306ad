"""The kit's :class:`SignalLatch`: a stop flag set from signal handlers, waited on by any thread
(the one the handler interrupts included), with no lock for a handler to hang on."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest

from chariots_core.workers.kit import SignalLatch


@pytest.fixture
def latch() -> Iterator[SignalLatch]:
    made = SignalLatch()
    yield made
    made.close()


@pytest.fixture
def on_alarm(latch: SignalLatch) -> Iterator[None]:
    """SIGALRM sets the latch (in the main thread, as every signal handler runs)."""
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: latch.set())
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_a_handler_landing_while_its_thread_waits_on_the_latch_wakes_it(
    latch: SignalLatch, on_alarm: None
) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0.05)  # lands inside the wait below
    assert latch.wait(60), "the wait should end when the handler sets the latch"
    assert latch.is_set()


def test_a_handler_landing_before_the_wait_is_not_lost(latch: SignalLatch, on_alarm: None) -> None:
    signal.raise_signal(signal.SIGALRM)  # its handler runs here, before anyone waits
    assert latch.wait(60), "a latch set before the wait should end it at once"


def test_another_thread_sets_it_for_every_waiter(latch: SignalLatch) -> None:
    assert (latch.is_set(), latch.wait(0)) == (False, False), "a new latch is not set"
    seen: list[bool] = []
    waiters = [threading.Thread(target=lambda: seen.append(latch.wait(60))) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    latch.set()
    latch.set()  # setting it again changes nothing
    for waiter in waiters:
        waiter.join(60)
    assert seen == [True, True, True]
    assert (latch.wait(0), latch.wait(None)) == (True, True), "once set, it stays set"
