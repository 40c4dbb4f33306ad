"""Workers: the command line, stopping, one message at a time, foreign messages, descriptions."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from chariots_core.errors import JobNotFound
from chariots_core.jobs import JobMessage, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing._pipelines_client import TestPipelinesClient
from chariots_core.testing.conformance._checks import expect_raises
from chariots_core.testing.conformance._command_line import CommandLineWorker
from chariots_core.testing.conformance._fixtures import ConformanceFixtures
from chariots_core.testing.conformance._harness import Harness, describe_job, wait_until
from chariots_core.testing.conformance.app import APP_NAME
from chariots_core.workers import BaseWorkerPool


class WorkerTests(ConformanceFixtures):
    """``chariots worker`` (``run_worker``), ``stop_workers``, a busy worker, messages of other
    tests and apps, and ``describe()``."""

    def test_chariots_worker_runs_jobs_and_stops_gracefully_on_sigterm(
        self,
        app: PipelinesServer,
        client: TestPipelinesClient,
        app_home: Path,
        worker_pool: BaseWorkerPool,
        command_line_worker: Callable[[int], CommandLineWorker],
    ) -> None:
        """``chariots worker --pool URL --concurrency 2`` (the pool's ``run_worker``) adds 2 to
        ``n_workers``, runs the jobs, and on SIGTERM finishes the job in hand and exits 0."""
        baseline = worker_pool.n_workers
        harness = Harness(app, client, app_home, 2, self.job_timeout)
        worker = command_line_worker(2)
        done = harness.wait(harness.submit("echo", "by the command line"), "a job should run")
        assert (done.status, done.result) == (JobStatus.done, "by the command line"), (
            f"`chariots worker` should run the job: {describe_job(done)}"
        )
        assert worker.runs(done.worker_id), (
            f"the job should have run in the `chariots worker` process (pid {worker.pid}) or one "
            f"it started, but its worker id is {done.worker_id!r}"
        )
        gate, touch = harness.gate(), harness.path("touch")
        in_hand = harness.submit("gated", {**gate.spec, "touch": str(touch), "value": 3})
        harness.wait_for_gate(gate, "the job in hand should start")
        worker.terminate()
        gate.open()
        status = worker.wait(self.job_timeout)
        final = harness.wait(in_hand, "the job in hand at SIGTERM should finish")
        assert status == 0, (
            f"`chariots worker` should exit 0 once stopped by SIGTERM, it "
            f"{'still runs' if status is None else f'exited {status}'}:\n{worker.output()}"
        )
        assert (final.status, final.result, touch.exists()) == (JobStatus.done, 3, True), (
            "SIGTERM should let the job in hand finish before `chariots worker` exits: "
            f"{describe_job(final)}"
        )
        wait_until(
            lambda: worker_pool.n_workers == baseline,
            self.job_timeout,
            lambda: (
                f"n_workers should drop back to {baseline} once `chariots worker` exited: it says "
                f"{worker_pool.n_workers}"
            ),
        )

    def test_stop_workers_returns_once_the_jobs_in_hand_are_done(
        self,
        app: PipelinesServer,
        client: TestPipelinesClient,
        app_home: Path,
        worker_pool: BaseWorkerPool,
    ) -> None:
        """``stop_workers`` lets each worker finish its job in hand, and returns after."""
        harness = Harness(app, client, app_home, 1, self.job_timeout)
        touch = harness.path("touch")
        worker_pool.start_workers(1)
        try:
            job = harness.submit("pause_then_touch", {"seconds": 1.0, "touch": str(touch)})
            harness.wait_for(
                job, lambda found: found.status is JobStatus.running, "the job should start"
            )
            worker_pool.stop_workers(timeout=self.job_timeout)
            at_return = harness.get(job.id)
        finally:
            worker_pool.stop_workers(timeout=self.job_timeout)
        assert (at_return.status, touch.exists()) == (JobStatus.done, True), (
            "stop_workers() should return once the job in hand is done (it had "
            f"{self.job_timeout:g}s), but when it returned the job was {describe_job(at_return)}"
        )

    def test_a_busy_worker_takes_no_second_message(self, harness: Harness) -> None:
        """A job queued while every worker is busy runs on a worker started meanwhile: no busy
        worker holds it (a worker takes a message only when it can run it)."""
        with harness.occupied_workers():
            waiting = harness.submit("echo", "waiting")
            harness.pool.start_workers(1)
            final = harness.wait(
                waiting,
                "a job queued while every worker was busy should run on the worker started "
                "meanwhile; a busy worker must not hold a second message while its job runs",
            )
            assert final.status is JobStatus.done, describe_job(final)

    def test_messages_of_other_tests_and_apps_are_dropped(self, harness: Harness) -> None:
        """A message whose job this app's store does not know (another test's, on a shared
        queue) or that names another app is dropped: it leaves no record, and the workers go
        on with the next job."""
        foreign = JobMessage(uuid.uuid4().hex, APP_NAME, "echo", "another test's job")
        other_app = JobMessage(uuid.uuid4().hex, "chariots_conformance_other_app", "echo", 1)
        harness.pool.submit(foreign)
        harness.pool.submit(other_app)
        after = harness.wait(
            harness.submit("echo", "after"),
            "a job submitted after messages of another test and app should run",
        )
        assert after.status is JobStatus.done, describe_job(after)
        for message in (foreign, other_app):
            expect_raises(
                JobNotFound,
                f"a message of a job this app never recorded ({message.app}) should leave no "
                "record",
                functools.partial(harness.get, message.job_id),
            )

    def test_describe_never_shows_a_password(
        self, worker_pool: BaseWorkerPool, worker_pool_url: str | None
    ) -> None:
        """``describe()``, ``repr`` and ``str`` (printed by ``chariots worker`` and in logs) of
        a pool built from ``worker_pool_url`` with a password put in it never show the
        password; nor does the error of a pool that refuses such a URL."""
        secret = f"chariots-secret-{uuid.uuid4().hex[:8]}"
        url = url_with_password(worker_pool_url, secret)
        kind = type(worker_pool)
        try:
            pool = kind.from_url(url)
        except Exception as error:
            text = f"{type(error).__name__}: {error}"
            assert secret not in text, (
                f"{kind.__name__}.from_url refused a URL with a password with an error that "
                f"shows the password: {text!r}"
            )
            pytest.skip(f"{kind.__name__}.from_url refuses a URL with a password: {text}")
        try:
            shown = {"describe()": pool.describe(), "repr()": repr(pool), "str()": str(pool)}
        finally:
            pool.close()
        leaks = [name for name, text in shown.items() if secret in text]
        assert not leaks, (
            f"{', '.join(leaks)} of a pool built from a URL with a password show the "
            f"password: {shown}"
        )


def url_with_password(url: str | None, secret: str) -> str:
    """``url`` with ``secret`` as its password (its user kept, else ``chariots``); skips the
    test, saying why, when ``url`` is no URL with a host to hold a password."""
    if url is None:
        pytest.skip(
            "the test class gives no `worker_pool_url`: the suite builds a pool from it, with a "
            "password put in, to prove that describe() hides the password"
        )
    parts = urlsplit(url)
    if "://" not in url:
        pytest.skip(
            f"the pool's `worker_pool_url` ({url!r}) is a backend name or class path, not a URL "
            "that could carry a password: give the test class a URL of the pool to prove that "
            "describe() hides a password"
        )
    if not parts.hostname:
        pytest.skip(
            f"the pool's URL form ({url!r}) names no host, so it carries no password: nothing "
            "for describe() to hide"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    user = quote(parts.username or "chariots", safe="")
    netloc = f"{user}:{secret}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
