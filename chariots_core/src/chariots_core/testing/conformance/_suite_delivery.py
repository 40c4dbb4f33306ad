"""Delivery: every job runs exactly once, workers are counted, a dead worker loses no job."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from chariots_core.jobs import Job, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing._pipelines_client import TestPipelinesClient
from chariots_core.testing.conformance._command_line import CommandLineWorker
from chariots_core.testing.conformance._fixtures import ConformanceFixtures
from chariots_core.testing.conformance._harness import (
    POLL_INTERVAL,
    Harness,
    describe_job,
    wait_until,
)
from chariots_core.testing.conformance._kill import KillWorker
from chariots_core.testing.conformance._markers import requires
from chariots_core.testing.conformance.app import BROKER_ONLY_ENV
from chariots_core.workers import BaseWorkerPool, Capability

#: how many jobs the exactly-once test submits
MANY_JOBS = 200
#: seconds past the heartbeat timeout within which a broker declaring ``redelivery`` gives a
#: killed worker's message back and the job runs again (the guide states it). Measured: the
#: embedded pool, Celery and Dramatiq on RabbitMQ ran the job again 3.0-3.1 s after the kill,
#: with the suite's heartbeat timeout of 3 s
REDELIVERY_GRACE = 5.0


def _tokens(log: Path) -> set[int]:
    """The tokens of the jobs that ran, per the run log."""
    if not log.exists():
        return set()
    return {json.loads(line) for line in log.read_text().splitlines() if line.strip()}


class DeliveryTests(ConformanceFixtures):
    """Exactly once, none lost; ``n_workers``; a worker killed mid-job."""

    def test_many_jobs_on_two_workers_each_run_exactly_once(self, harness: Harness) -> None:
        """200 jobs on the workers: every one runs, and runs once (no job lost, none run
        twice), and each ends ``done`` with its own value."""
        log = harness.path("runs.log")
        jobs = {
            harness.submit("record", {"log": str(log), "token": token}).id: token
            for token in range(MANY_JOBS)
        }
        store, app_name = harness.store, harness.app.name
        # progress is read from the run log (no load on the job store the workers write to);
        # the wait fails once no job has run for a while, however long the whole run takes
        stall = harness.job_timeout / 2
        ran: set[int] = set()
        last_progress = time.monotonic()
        while len(ran) < len(jobs) and time.monotonic() - last_progress < stall:
            time.sleep(POLL_INTERVAL * 5)
            now_ran = _tokens(log)
            if len(now_ran) > len(ran):
                ran, last_progress = now_ran, time.monotonic()
        # then the records of the jobs that ran (a job's record ends just after its run)
        finished: dict[str, Job] = {}
        last_progress = time.monotonic()
        while len(finished) < len(ran) and time.monotonic() - last_progress < stall:
            found = store.list_jobs(app=app_name, pipeline="record", limit=len(jobs) + 10).jobs
            newly = {job.id: job for job in found if job.status.is_finished}
            if len(newly) > len(finished):
                last_progress = time.monotonic()
            finished = newly
            if len(finished) < len(ran):
                time.sleep(POLL_INTERVAL * 5)
        found = store.list_jobs(app=app_name, pipeline="record", limit=len(jobs) + 10).jobs
        finished = {job.id: job for job in found if job.status.is_finished}
        unfinished = sorted(set(jobs) - set(finished), key=jobs.__getitem__)
        if unfinished:
            states = Counter(store.get(job_id).status.value for job_id in unfinished)
            examples = "; ".join(describe_job(store.get(job_id)) for job_id in unfinished[:5])
            pytest.fail(
                f"the pool lost {len(unfinished)} of {MANY_JOBS} jobs: submitted but never "
                f"finished ({dict(states)}; no job ran or finished in the last {stall:g}s). "
                f"Tokens {[jobs[job_id] for job_id in unfinished][:20]}; e.g. {examples}",
                pytrace=False,
            )
        not_done = [job for job in finished.values() if job.status is not JobStatus.done]
        assert not not_done, (
            f"{len(not_done)} of {MANY_JOBS} record jobs did not end done: "
            + "; ".join(describe_job(job) for job in not_done[:5])
        )
        runs = Counter(json.loads(line) for line in log.read_text().splitlines())  # all runs
        twice = {token: count for token, count in runs.items() if count > 1}
        assert not twice, (
            f"the pool ran {len(twice)} jobs more than once (token: runs): "
            f"{dict(list(twice.items())[:20])}"
        )
        never = sorted(set(jobs.values()) - set(runs))
        assert not never, (
            f"the pool marked {len(never)} jobs done that never ran their pipeline: tokens "
            f"{never[:20]}"
        )
        wrong = {
            job_id: finished[job_id].result
            for job_id, token in jobs.items()
            if finished[job_id].result != token
        }
        assert not wrong, (
            f"{len(wrong)} jobs hold another job's value (job id: value): "
            f"{dict(list(wrong.items())[:10])}"
        )
        retried = [job for job in finished.values() if job.attempts != 1]
        assert not retried, (
            "jobs that succeeded at once should have one attempt each: "
            + "; ".join(describe_job(job) for job in retried[:5])
        )

    def test_n_workers_follows_workers_started_and_stopped(
        self, app: PipelinesServer, worker_pool: BaseWorkerPool
    ) -> None:
        """``n_workers`` counts the workers ``start_workers`` started and drops back once
        ``stop_workers`` returned."""
        timeout = self.job_timeout
        baseline = worker_pool.n_workers
        try:
            worker_pool.start_workers(2)
            wait_until(
                lambda: worker_pool.n_workers == baseline + 2,
                timeout,
                lambda: (
                    f"n_workers should count the 2 workers start_workers(2) started: it says "
                    f"{worker_pool.n_workers} (it said {baseline} before)"
                ),
            )
            worker_pool.start_workers(1)
            wait_until(
                lambda: worker_pool.n_workers == baseline + 3,
                timeout,
                lambda: (
                    f"n_workers should count one more worker after start_workers(1): it says "
                    f"{worker_pool.n_workers}, expected {baseline + 3}"
                ),
            )
        finally:
            worker_pool.stop_workers(timeout=timeout)
        wait_until(
            lambda: worker_pool.n_workers == baseline,
            timeout,
            lambda: (
                f"n_workers should drop back to {baseline} once stop_workers() returned: it says "
                f"{worker_pool.n_workers}"
            ),
        )

    def _job_of_a_killed_worker(
        self,
        harness: Harness,
        command_line_worker: Callable[[int], CommandLineWorker],
        kill_worker: KillWorker,
        retries: int,
        before_kill: Callable[[], None] | None = None,
    ) -> Job:
        """A gated job taken by a ``chariots worker`` process, which is then killed (after
        ``before_kill``, called once the job runs)."""
        redelivery = Capability.redelivery in harness.pool.capabilities
        command_line_worker(1)
        gate = harness.gate()
        job = harness.submit(
            "gated",
            {**gate.spec, "touch": str(harness.path("touch")), "value": 7},
            retries=retries,
        )
        harness.wait_for_gate(gate, "the job to be killed should start")
        running = harness.wait_for(
            job,
            lambda found: found.status is JobStatus.running and found.worker_id is not None,
            "a job that reached its first node should read running, with its worker",
        )
        if before_kill is not None:
            before_kill()
        unproven = None
        try:
            kill_worker(running)
        except pytest.skip.Exception as skipped:
            if not redelivery:
                raise
            unproven = skipped.msg
        if unproven is not None:
            pytest.fail(
                "the pool declares redelivery, but nothing proves it: the worker running the job "
                f"could not be killed ({unproven}). Give the test class a `kill_worker` fixture "
                "that kills it, or workers that the default one can kill",
                pytrace=False,
            )
        gate.open()
        return job

    def test_worker_killed_mid_job_runs_the_job_again_when_it_has_retries(
        self,
        app: PipelinesServer,
        client: TestPipelinesClient,
        app_home: Path,
        command_line_worker: Callable[[int], CommandLineWorker],
        kill_worker: KillWorker,
    ) -> None:
        """A job with a retry whose worker (a ``chariots worker`` process) dies reads
        ``queued`` (never ``lost``: it is not over) and runs again on another worker, within
        the heartbeat timeout and a bounded delay: the core's recovery sends its message again
        when the broker does not give it back (``redelivery`` is proven on its own below)."""
        harness = Harness(app, client, app_home, 1, self.job_timeout)
        job = self._job_of_a_killed_worker(harness, command_line_worker, kill_worker, 1)
        timeout = harness.store.heartbeat_timeout + harness.job_timeout
        seen: list[str] = []

        def record(found: Job) -> bool:
            seen.append(found.status.value)
            return found.status.is_finished

        harness.pool.start_workers(1)  # another worker, to run it again
        try:
            final = harness.wait_for(
                job,
                record,
                f"a job with a retry whose worker was killed should run again on another "
                f"worker and end done within {timeout:g}s",
                timeout=timeout,
            )
        finally:
            harness.pool.stop_workers(timeout=harness.job_timeout)
        assert (final.status, final.attempts, final.result) == (JobStatus.done, 2, 7), (
            "a job with a retry whose worker was killed should have run again (2 attempts) "
            f"and given its value: {describe_job(final)}"
        )
        assert "lost" not in seen, (
            f"a job that runs again must not read lost first (statuses read: {seen})"
        )

    def test_worker_killed_mid_job_ends_lost_for_good_without_retries(
        self,
        app: PipelinesServer,
        client: TestPipelinesClient,
        app_home: Path,
        command_line_worker: Callable[[int], CommandLineWorker],
        kill_worker: KillWorker,
    ) -> None:
        """A job with no retry whose worker dies ends ``lost`` (its heartbeat stops) and stays
        lost: a broker that redelivers its message does not run it again."""
        harness = Harness(app, client, app_home, 1, self.job_timeout)
        job = self._job_of_a_killed_worker(harness, command_line_worker, kill_worker, 0)
        heartbeat_timeout = harness.store.heartbeat_timeout
        timeout = heartbeat_timeout + harness.job_timeout
        final = harness.wait_for(
            job,
            lambda found: found.status.is_finished,
            f"a job whose worker was killed should end lost (its heartbeat stops; timeout "
            f"{heartbeat_timeout:g}s), never stay running",
            timeout=timeout,
        )
        assert (final.status, final.attempts) == (JobStatus.lost, 1), describe_job(final)
        harness.pool.start_workers(1)  # a redelivered message would reach this worker
        try:
            later = harness.submit("echo", 1)
            harness.wait(later, "a job submitted after the loss should run")
        finally:
            harness.pool.stop_workers(timeout=harness.job_timeout)
        again = harness.get(job.id)
        assert (again.status, again.attempts) == (JobStatus.lost, 1), (
            f"a lost job is over: it must not run again: {describe_job(again)}"
        )

    @requires(Capability.redelivery)
    def test_the_broker_gives_a_dead_worker_s_message_back_by_itself(
        self,
        app: PipelinesServer,
        client: TestPipelinesClient,
        app_home: Path,
        command_line_worker: Callable[[int], CommandLineWorker],
        kill_worker: KillWorker,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """With the core's resend off (in this process's server and in every ``chariots
        worker``), a job with a retry whose worker is killed runs again on a worker that was
        already listening, within the heartbeat timeout plus :data:`REDELIVERY_GRACE` seconds of
        the kill: only the broker can have given its message back."""
        harness = Harness(app, client, app_home, 1, self.job_timeout)
        harness.store.resend_messages = False  # this process's server
        monkeypatch.setenv(BROKER_ONLY_ENV, "1")  # the `chariots worker` processes' apps
        pool = harness.pool

        def another_worker_listens() -> None:
            expected = pool.n_workers + 1
            pool.start_workers(1)
            wait_until(
                lambda: pool.n_workers >= expected,
                harness.job_timeout,
                lambda: f"start_workers(1) should add a worker: n_workers says {pool.n_workers}",
            )

        try:
            job = self._job_of_a_killed_worker(
                harness, command_line_worker, kill_worker, 1, another_worker_listens
            )
            heartbeat_timeout = harness.store.heartbeat_timeout
            bound = heartbeat_timeout + REDELIVERY_GRACE
            final = harness.wait_for(
                job,
                lambda found: found.status.is_finished,
                f"the pool declares redelivery, but with the core's resend off its broker did not "
                f"give the killed worker's message back to the worker listening within {bound:g}s "
                f"of the kill (the heartbeat timeout, {heartbeat_timeout:g}s, + "
                f"{REDELIVERY_GRACE:g}s): the job never ran again",
                timeout=bound,
            )
        finally:
            pool.stop_workers(timeout=harness.job_timeout)
        assert (final.status, final.attempts, final.result) == (JobStatus.done, 2, 7), (
            "the pool declares redelivery: the killed worker's job, given back by the broker, "
            f"should have run again (2 attempts) and given its value: {describe_job(final)}"
        )
