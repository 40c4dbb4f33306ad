"""The life of one job: queued, done with its value or failed with its error; found from
anywhere; not found; expired."""

from __future__ import annotations

import pytest

from chariots_core.errors import JobExpired, JobNotFound, WorkerPoolError
from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing._pipelines_client import TestPipelinesClient
from chariots_core.testing.conformance._checks import expect_raises
from chariots_core.testing.conformance._fixtures import ConformanceFixtures
from chariots_core.testing.conformance._harness import Harness, describe_job, wait_until


class JobTests(ConformanceFixtures):
    """Submit, status, value, error, lookups from a second server, not found, expired."""

    def test_submitted_job_is_queued_then_done_with_its_value(self, harness: Harness) -> None:
        """A job no worker is free to take reads ``queued``; once a worker is free it runs and
        reads ``done`` with its value, through the app and over HTTP."""
        client = harness.client
        with harness.occupied_workers() as occupation:
            response = client.call_pipeline("echo", {"answer": 42}, use_worker=True)
            assert response.job_id, (
                f"a call with use_worker=True should be submitted as a job, it answered {response}"
            )
            assert response.job_status is JobStatus.queued, (
                "a job submitted while every worker is busy should be 'queued', it is "
                f"{describe_job(harness.get(response.job_id))}"
            )
            fetched = client.fetch_job(response.job_id)
            assert fetched.job_status is JobStatus.queued, (
                "a job no worker took yet should read 'queued' when fetched, it reads "
                f"{fetched.job_status}"
            )
            occupation.release_all()
            finished = harness.wait(
                response.job_id, "a queued job should run once a worker is free"
            )
        assert finished.status is JobStatus.done, (
            f"the echo job should end done, it ended {describe_job(finished)}"
        )
        assert finished.result == {"answer": 42}, (
            "a done job should hold its pipeline's value {'answer': 42}, it holds "
            f"{finished.result!r}"
        )
        assert finished.attempts == 1, (
            f"a job that succeeded at once should have run once, it ran {finished.attempts} times"
        )
        assert None not in (finished.started_at, finished.finished_at), (
            f"a done job should record when it started and finished: {finished}"
        )
        answered = client.wait_for_job(response.job_id, timeout=harness.job_timeout)
        assert (answered.job_status, answered.value) == (JobStatus.done, {"answer": 42}), (
            f"fetched over HTTP, the done job should give its value, it gave {answered}"
        )

    def test_failing_pipeline_fails_with_error_type_message_and_traceback(
        self, harness: Harness
    ) -> None:
        """A job whose pipeline raises ends ``failed`` with the error's type, message and
        traceback, after one run (no retries were asked)."""
        job = harness.submit("fail", "some input")
        failed = harness.wait(job, "a job whose pipeline raises should end failed")
        assert failed.status is JobStatus.failed, (
            f"a job whose pipeline raises should end failed, it ended {describe_job(failed)}"
        )
        error = failed.error or {}
        assert error.get("type") == "ConformanceFailure", (
            f"a failed job's error should name the exception's type 'ConformanceFailure', it "
            f"holds {error!r:.500}"
        )
        message = error.get("message") or ""
        assert all(part in message for part in ("failed on purpose", "'some input'")), (
            f"a failed job's error should hold the exception's message, it holds {error!r:.500}"
        )
        traceback = error.get("traceback") or ""
        assert all(part in traceback for part in ("Traceback", "ConformanceFailure")), (
            f"a failed job's error should hold the traceback, it holds {traceback!r:.500}"
        )
        assert failed.attempts == 1, (
            f"a failed job without retries should have run once, it ran {failed.attempts} times"
        )
        response = harness.client.fetch_job(job.id)
        assert response.job_status is JobStatus.failed, (
            f"fetched over HTTP, a failed job should say failed: {response}"
        )
        assert (response.error or {}).get("type") == "ConformanceFailure", (
            f"fetched over HTTP, a failed job's error should name its type: {response.error}"
        )

    def test_submit_answers_a_string_or_none(self, harness: Harness) -> None:
        """``submit`` returns the backend's name for the job's state (a ``str``) or ``None``:
        the core records it as the job's native status, and refuses anything else (the server
        then fails the job and answers an error naming the pool)."""
        try:
            job = harness.submit("echo", "its native status")
        except WorkerPoolError as error:
            pytest.fail(
                f"the server refused what the pool's submit() returned: {error}", pytrace=False
            )
        done = harness.wait(job, "a job should run")
        assert (done.status, done.result) == (JobStatus.done, "its native status"), (
            f"the job should end done with its value: {describe_job(done)}"
        )

    def test_job_is_answered_by_a_second_pool_instance_and_server(
        self, harness: Harness, second_app: PipelinesServer
    ) -> None:
        """Two servers of one app, each with its own instance of the pool, answer for each
        other's jobs: the record, not the process, holds a job."""
        second_client = TestPipelinesClient(second_app)
        first_job = harness.submit("echo", "from the first server")
        seen = second_client.get_job(first_job.id, timeout=harness.job_timeout)
        assert (seen.status, seen.result) == (JobStatus.done, "from the first server"), (
            "a job submitted through one server should be answered for by a second server of the "
            f"same app: it reads {describe_job(seen)}, value {seen.result!r}"
        )
        second_job = second_app.submit_job("echo", "from the second server")
        seen = harness.client.get_job(second_job.id, timeout=harness.job_timeout)
        assert (seen.status, seen.result) == (JobStatus.done, "from the second server"), (
            "a job submitted through a second instance of the pool should run on the same "
            f"workers and be answered for by the first server: it reads {describe_job(seen)}"
        )
        first_pool, second_pool = harness.pool, second_app.worker_pool
        wait_until(
            lambda: second_pool.n_workers == first_pool.n_workers,
            harness.job_timeout,
            lambda: (
                "a second instance of the pool on the same queue should count the same workers: "
                f"the first says n_workers={first_pool.n_workers}, the second "
                f"{second_pool.n_workers}"
            ),
        )

    def test_unknown_job_id_is_not_found(
        self, app: PipelinesServer, client: TestPipelinesClient
    ) -> None:
        """A job id that was never submitted is not found (404), whichever way it is asked."""
        behaviour = "a job id that was never submitted should be not found (JobNotFound, HTTP 404)"
        expect_raises(JobNotFound, f"{behaviour}: app.get_job", lambda: app.get_job("no-such-job"))
        expect_raises(
            JobNotFound, f"{behaviour}: GET /jobs/<id>", lambda: client.get_job("no-such-job")
        )
        expect_raises(
            JobNotFound, f"{behaviour}: POST /jobs/fetch/", lambda: client.fetch_job("no-such-job")
        )
        expect_raises(
            JobNotFound,
            f"{behaviour}: POST /jobs/<id>/cancel",
            lambda: client.cancel_job("no-such-job"),
        )

    def test_expired_job_is_expired(self, harness: Harness) -> None:
        """A finished job whose ``ttl`` ran out is expired (410), told apart from not found."""
        job = harness.submit("echo", "short-lived", ttl=0.5)
        done = harness.wait(job, "a job with a ttl should run")
        assert done.status is JobStatus.done, (
            f"the short-lived job should end done: {describe_job(done)}"
        )

        def expired() -> bool:
            try:
                harness.get(job.id)
            except JobExpired:
                return True
            return False

        wait_until(
            expired,
            harness.job_timeout,
            "a finished job whose ttl (0.5s) ran out should be expired (JobExpired, HTTP 410)",
        )
        expect_raises(
            JobExpired,
            "an expired job should answer 410 over HTTP (GET /jobs/<id>)",
            lambda: harness.client.get_job(job.id),
        )
        expect_raises(
            JobExpired,
            "an expired job should answer 410 over HTTP (POST /jobs/fetch/)",
            lambda: harness.client.fetch_job(job.id),
        )
