"""``kit.stop_for_jobs_in_hand``: a worker's stop waits for its jobs in hand, and no longer than a
grace for a backend that waits for its broker (Dramatiq retrying a finished job's ack)."""

from __future__ import annotations

import logging
import threading

import pytest

from chariots_core.testing.polling import eventually
from chariots_core.workers.kit import JobsInHand, stop_for_jobs_in_hand

DEADLINE = 30.0


def test_a_stop_that_finishes_is_waited_for() -> None:
    stopped = threading.Event()

    assert stop_for_jobs_in_hand(stopped.set, JobsInHand(), grace=DEADLINE, what="a worker")
    assert stopped.is_set()


def test_a_stop_stuck_with_no_job_in_hand_is_left_after_the_grace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    never = threading.Event()
    with caplog.at_level(logging.WARNING):
        finished = stop_for_jobs_in_hand(never.wait, JobsInHand(), grace=0.2, what="a worker")

    assert not finished
    assert "a worker stopped without waiting for its broker any longer" in caplog.text
    never.set()  # its thread ends


def test_a_job_in_hand_is_waited_for_past_the_grace() -> None:
    jobs, job_done, never = JobsInHand(), threading.Event(), threading.Event()
    answer: list[bool] = []

    def job() -> None:
        with jobs.holding():
            job_done.wait(DEADLINE)

    running = threading.Thread(target=job)
    running.start()
    eventually(lambda: len(jobs) == 1, timeout=DEADLINE, what="the job in hand")
    stopping = threading.Thread(
        target=lambda: answer.append(stop_for_jobs_in_hand(never.wait, jobs, grace=0.1, what="w"))
    )
    stopping.start()

    stopping.join(1.0)  # ten graces: it must still wait, the job being in hand
    assert stopping.is_alive()
    assert not answer
    job_done.set()
    running.join(DEADLINE)
    stopping.join(DEADLINE)

    assert answer == [False]
    assert len(jobs) == 0
    never.set()


def test_jobs_in_hand_count_nested_and_failed_runs() -> None:
    jobs = JobsInHand()

    def failing_run() -> None:
        with jobs.holding():
            assert len(jobs) == 2
            raise RuntimeError("the job failed")

    with jobs.holding():
        with pytest.raises(RuntimeError):
            failing_run()
        assert len(jobs) == 1
    assert len(jobs) == 0
