"""Control over jobs: cancel, interrupt, timeouts, retries, delay, priority."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from pathlib import Path

from chariots_core.jobs import Job, JobStatus
from chariots_core.testing.conformance._checks import mentions_timeout
from chariots_core.testing.conformance._fixtures import ConformanceFixtures
from chariots_core.testing.conformance._harness import Harness, describe_job
from chariots_core.testing.conformance._markers import requires
from chariots_core.testing.conformance._ops import TICK_INTERVAL
from chariots_core.workers import PRIORITY_PROBES, Capability

#: slack allowed when comparing timestamps the job store recorded (clock reads, rounding)
CLOCK_SLACK = 0.05
#: the priorities a pool declaring ``priority`` must tell apart (it may group those between, and
#: clamp those beyond), and how many jobs of each the priority test queues
PRIORITY_LEVELS, JOBS_PER_LEVEL = PRIORITY_PROBES, 2
#: seconds the ticks of a timed-out job are watched, and how many may still land meanwhile
TICKS_WATCHED, TICKS_IN_FLIGHT = 1.0, 2


def _runs(path: Path) -> list[float]:
    return [float(line) for line in path.read_text().splitlines()] if path.exists() else []


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _seconds(later: datetime | None, earlier: datetime | None) -> float:
    if later is None or earlier is None:
        return float("nan")
    return (later - earlier).total_seconds()


class ControlTests(ConformanceFixtures):
    """Cancel (queued, natively), interrupt, timeouts, retries, delay and priority."""

    def test_cancelled_queued_job_never_runs(self, harness: Harness) -> None:
        """A queued job cancelled through the server reads ``cancelled`` at once, and never runs
        (the worker that receives it skips it)."""
        touch = harness.path("touch")
        with harness.occupied_workers() as occupation:
            job = harness.submit("touch", {"touch": str(touch)})
            answered = harness.client.cancel_job(job.id)
            assert answered.status is JobStatus.cancelled, (
                "cancelling a queued job should mark it cancelled at once: "
                f"{describe_job(answered)}"
            )
            occupation.release_one()
            probe = harness.submit("echo", "submitted after the cancelled job")
            harness.wait(probe, "a job submitted after a cancelled one should run")
        final = harness.get(job.id)
        assert not touch.exists(), (
            f"a cancelled queued job should never run, but its pipeline ran: {describe_job(final)}"
        )
        assert final.status is JobStatus.cancelled, (
            f"a cancelled queued job should stay cancelled: {describe_job(final)}"
        )

    @requires(Capability.cancel_queued)
    def test_pool_cancel_removes_a_queued_job(self, harness: Harness) -> None:
        """``pool.cancel(job_id)`` of a queued job removes it from the backend's queue (returns
        ``True``), so that no worker ever receives it."""
        touch = harness.path("touch")
        with harness.occupied_workers() as occupation:
            job = harness.submit("touch", {"touch": str(touch)})
            removed = harness.pool.cancel(job.id)
            assert removed is True, (
                "the pool declares cancel_queued, but its cancel() of a queued job returned "
                f"{removed!r} (it should remove the job from its queue and return True)"
            )
            occupation.release_one()
            probe = harness.submit("echo", "submitted after the cancelled job")
            harness.wait(probe, "a job submitted after a cancelled one should run")
        final = harness.get(job.id)
        assert not touch.exists(), (
            "the pool declares cancel_queued and its cancel() returned True, but a worker still "
            f"received the job it removed from its queue (it ran): {describe_job(final)}"
        )

    @requires(Capability.interrupt_running)
    def test_running_job_is_interrupted_between_nodes(self, harness: Harness) -> None:
        """A running job that is cancelled stops at the latest before its next node and ends
        ``cancelled``."""
        gate, touch = harness.gate(), harness.path("touch")
        job = harness.submit("gated", {**gate.spec, "touch": str(touch)})
        harness.wait_for_gate(gate, "the job to interrupt should start")
        harness.wait_for(
            job,
            lambda found: found.status is JobStatus.running,
            "a started job should read running",
        )
        answered = harness.client.cancel_job(job.id)
        assert answered.status is JobStatus.cancelled or answered.cancel_requested, (
            f"cancelling a running job should record the request: {describe_job(answered)}"
        )
        gate.open()
        final = harness.wait(
            job, "the pool declares interrupt_running: a cancelled running job should stop"
        )
        assert final.status is JobStatus.cancelled, (
            "the pool declares interrupt_running: a running job that was cancelled should end "
            f"cancelled, it ended {describe_job(final)}"
        )
        assert not touch.exists(), (
            "the pool declares interrupt_running: a cancelled running job should stop at the "
            f"latest before its next node, but its next node ran: {describe_job(final)}"
        )

    def test_timeout_stops_a_job_between_nodes(self, harness: Harness) -> None:
        """A job that runs past its ``timeout`` fails, at the latest before its next node."""
        touch = harness.path("touch")
        job = harness.submit("pause_then_touch", {"seconds": 1.0, "touch": str(touch)}, timeout=0.3)
        final = harness.wait(job, "a job past its timeout should end")
        assert (final.status, mentions_timeout(final)) == (JobStatus.failed, True), (
            "a job that runs past its timeout (0.3s) should fail with a timeout error, it ended "
            f"{describe_job(final)}"
        )
        assert not touch.exists(), (
            f"a job past its timeout should not start its next node: {describe_job(final)}"
        )

    @requires(Capability.timeouts)
    def test_timeout_stops_a_job_inside_one_long_node(self, harness: Harness) -> None:
        """A job held inside one node past its ``timeout`` is stopped there and fails: the node
        stops running (its ticks stop), it is not left running while the failure is recorded."""
        ticks, touch = harness.path("ticks"), harness.path("touch")
        spec = {"ticks": str(ticks), "seconds": harness.job_timeout, "touch": str(touch)}
        job = harness.submit("ticking", spec, timeout=1.0)
        final = harness.wait(
            job,
            "the pool declares timeouts: a job held inside one node past its timeout (1s) should "
            "be stopped there",
        )
        assert (final.status, mentions_timeout(final)) == (JobStatus.failed, True), (
            "the pool declares timeouts: a job held inside one node past its timeout (1s) should "
            f"fail with a timeout error, it ended {describe_job(final)}"
        )
        at_failure = _lines(ticks)
        deadline = time.monotonic() + TICKS_WATCHED
        while time.monotonic() < deadline:
            more = _lines(ticks) - at_failure
            assert more <= TICKS_IN_FLIGHT, (
                "the pool declares timeouts and recorded the job's timeout, but the job's node "
                f"kept running ({more} more ticks after the failure was recorded): a timeout "
                "must stop the job (kill its process), not abandon it"
            )
            time.sleep(TICK_INTERVAL)
        assert not touch.exists(), (
            f"a job stopped by its timeout inside a node should not go on: {describe_job(final)}"
        )

    @requires(Capability.retries)
    def test_failed_job_is_retried(self, harness: Harness) -> None:
        """``retries`` runs a failed job again, ``retry_interval`` seconds later, until it
        succeeds or has no retries left."""
        counter = harness.path("fails_first")
        job = harness.submit(
            "fails_first", {"counter": str(counter), "fail_times": 2}, retries=2, retry_interval=0.3
        )
        final = harness.wait(
            job, "the pool declares retries: a job that fails twice with 2 retries should end"
        )
        runs = _runs(counter)
        assert (final.status, final.result) == (JobStatus.done, 3), (
            "the pool declares retries: a job failing its first 2 runs, with retries=2, should "
            f"end done on its third run; it ended {describe_job(final)} after {len(runs)} runs"
        )
        assert (final.attempts, len(runs)) == (3, 3), (
            f"the pool declares retries: the job should have run 3 times, it ran {len(runs)} "
            f"times and records {final.attempts} attempts"
        )
        gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
        assert all(gap >= 0.3 - CLOCK_SLACK for gap in gaps), (
            f"the pool declares retries: runs should be retry_interval=0.3s apart, they were "
            f"{[round(gap, 3) for gap in gaps]}s apart"
        )
        exhausted_counter = harness.path("fails_first")
        exhausted = harness.submit(
            "fails_first", {"counter": str(exhausted_counter), "fail_times": 5}, retries=1
        )
        final = harness.wait(
            exhausted, "the pool declares retries: a job out of retries should end"
        )
        runs = _runs(exhausted_counter)
        assert (final.status, final.attempts, len(runs)) == (JobStatus.failed, 2, 2), (
            "the pool declares retries: a job that keeps failing, with retries=1, should end "
            f"failed after 2 runs; it ended {describe_job(final)} after {len(runs)} runs"
        )

    @requires(Capability.delay)
    def test_delayed_job_waits_its_delay(self, harness: Harness) -> None:
        """A job with ``delay`` does not start before that many seconds, and does not hold back
        the jobs submitted after it, even when there are as many delayed jobs as workers (a
        worker does not sit on a delayed job)."""
        delayed = [harness.submit("echo", f"delayed {n}", delay=1.5) for n in range(harness.slots)]
        prompt = harness.submit("echo", "prompt")
        prompt_done = harness.wait(prompt, "a job submitted after delayed ones should run")
        for job in delayed:
            done = harness.wait(job, "the pool declares delay: a delayed job should run")
            assert done.status is JobStatus.done, (
                f"the pool declares delay: the delayed job should end done: {describe_job(done)}"
            )
            waited = _seconds(done.started_at, done.submitted_at)
            assert waited >= 1.5 - CLOCK_SLACK, (
                f"the pool declares delay: a job delayed 1.5s started {waited:.3f}s after it was "
                "submitted"
            )
            held_back = _seconds(done.started_at, prompt_done.started_at)
            assert held_back > 0, (
                f"the pool declares delay: {harness.slots} delayed jobs on {harness.slots} "
                "workers should not hold back a job submitted after them (a worker must not wait "
                f"out a delay); the later job started at {prompt_done.started_at}, a delayed one "
                f"at {done.started_at}"
            )

    @requires(Capability.priority)
    def test_higher_priority_jobs_start_first(self, harness: Harness) -> None:
        """Among queued jobs, those of higher ``priority`` start first, over the range a pool
        declaring ``priority`` honours (:data:`PRIORITY_LEVELS`: -10, 0 and 10 told apart);
        the jobs are submitted lowest first, so that a pool with fewer levels fails."""
        levels = sorted(PRIORITY_LEVELS)
        with harness.occupied_workers() as occupation:
            queued = [
                harness.submit("echo", [level, index], priority=level)
                for level in levels
                for index in range(JOBS_PER_LEVEL)
            ]
            occupation.release_one()
            finished: list[Job] = [
                harness.wait(job, "the pool declares priority: queued jobs should run")
                for job in queued
            ]
        order = sorted(finished, key=lambda job: (job.started_at is None, job.started_at))
        started = [job.result[0] for job in order]  # echo gave back [priority, index]
        assert started == sorted(started, reverse=True), (
            f"the pool declares priority: with one worker free, queued jobs of priorities "
            f"{', '.join(map(str, reversed(levels)))} ({JOBS_PER_LEVEL} each, submitted lowest "
            f"first) should start highest first; their priorities in the order they started: "
            f"{started}"
        )
