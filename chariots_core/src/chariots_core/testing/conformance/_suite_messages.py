"""Messages: JSON only, unknown pipelines, large inputs, and when a call goes to a worker."""

from __future__ import annotations

import uuid
from typing import Any

from chariots_core.errors import BadRequest
from chariots_core.jobs import Job, JobMessage, JobOptions, JobStatus
from chariots_core.testing.conformance._checks import expect_raises, first_difference
from chariots_core.testing.conformance._fixtures import ConformanceFixtures
from chariots_core.testing.conformance._harness import Harness, describe_job

#: a JSON value with what JSON can carry: unicode, big integers, floats, nesting, empties
RICH_JSON: dict[str, Any] = {
    "text": 'héllo ✓ 你好 "quoted" \\ back\nslash',
    "big": 2**53 + 1,
    "negative": -7,
    "float": 0.1,
    "bools": [True, False],
    "none": None,
    "nested": {"list": [1, [2, [3, {"deep": "yes"}]]], "empty": {}, "empty_list": []},
}

#: the three pipelines of the use_worker rule, by their own level
PIPELINE_LEVELS = {"echo": None, "echo_in_worker": True, "echo_in_server": False}


def _expected_in_worker(*levels: bool | None) -> bool:
    if False in levels:
        return False
    return True in levels


class MessageTests(ConformanceFixtures):
    """JSON-only messages, unknown pipelines, a 1 MB input, the three-level ``use_worker``."""

    def test_messages_are_json_only(self, harness: Harness) -> None:
        """An input that is not JSON is refused at submit, before anything is recorded or
        queued; a JSON input makes the round trip through the pool unchanged."""
        app = harness.app
        before = harness.store.list_jobs(app=app.name).total
        expect_raises(
            BadRequest,
            "a job whose input is not JSON should be refused at submit",
            lambda: app.submit_job("echo", {"not json": object()}),
        )
        expect_raises(
            BadRequest,
            "a job whose input is not JSON (a set) should be refused at submit",
            lambda: app.submit_job("echo", {1, 2}),
        )
        after = harness.store.list_jobs(app=app.name).total
        assert after == before, (
            f"a refused job should leave no record: there were {before} jobs, now {after}"
        )
        job = harness.wait(harness.submit("echo", RICH_JSON), "a job with a JSON input should run")
        assert (job.status, job.result) == (JobStatus.done, RICH_JSON), (
            "a JSON input should come back unchanged through the pool's messages: "
            f"{describe_job(job)}, value {job.result!r:.500}"
        )
        as_list = harness.wait(harness.submit("echo", (1, "two")), "a tuple input should run")
        assert as_list.result == [1, "two"], (
            f"a tuple input travels as a JSON array and comes back a list: {as_list.result!r}"
        )

    def test_message_for_an_unknown_pipeline_fails_the_job(self, harness: Harness) -> None:
        """A message naming a pipeline the worker's app does not have fails its job
        (``PipelineNotFound``) rather than leaving it queued or crashing the worker."""
        app, store = harness.app, harness.store
        job_id = uuid.uuid4().hex
        store.create(app.name, "no_such_pipeline", JobOptions(), job_id=job_id)
        harness.pool.submit(JobMessage(job_id, app.name, "no_such_pipeline", None))
        final = harness.wait(job_id, "a job for a pipeline the app does not have should end")
        assert (final.status, (final.error or {}).get("type")) == (
            JobStatus.failed,
            "PipelineNotFound",
        ), (
            "a job for a pipeline the app does not have should fail with PipelineNotFound: "
            f"{describe_job(final)}"
        )
        after = harness.wait(
            harness.submit("echo", "still alive"), "a worker should survive a bad message"
        )
        assert after.status is JobStatus.done, (
            "the workers should go on after a message for an unknown pipeline: "
            f"{describe_job(after)}"
        )

    def test_one_megabyte_input_round_trip(self, harness: Harness) -> None:
        """A 1 MB input goes through the server, the pool and back unchanged."""
        blob = "".join(chr(0x21 + (index * 7919) % 0x5D) for index in range(1024 * 1024))
        response = harness.client.call_pipeline("echo", {"blob": blob}, use_worker=True)
        assert response.job_id, f"a call with use_worker=True should give a job: {response}"
        answered = harness.client.wait_for_job(response.job_id, timeout=harness.job_timeout)
        assert answered.job_status is JobStatus.done, (
            f"a job with a 1 MB input should end done: {describe_job(harness.get(response.job_id))}"
        )
        value = answered.value.get("blob") if isinstance(answered.value, dict) else None
        same = value == blob
        assert same, "a 1 MB input should come back unchanged: got " + (
            f"{type(answered.value).__name__}"
            if value is None
            else f"{len(value)} characters, first difference at {first_difference(value, blob)}"
        )

    def test_use_worker_rule_through_the_server(self, harness: Harness) -> None:
        """App, pipeline and request levels: any ``False`` runs the call in the server; else any
        ``True`` runs it in a worker; all unset runs it in the server."""
        app, client = harness.app, harness.client
        original = app.use_workers
        mistakes: list[str] = []
        jobs: list[tuple[Job | str, str]] = []
        try:
            for app_level in (None, True, False):
                app.use_workers = app_level
                for pipeline, pipeline_level in PIPELINE_LEVELS.items():
                    for request_level in (None, True, False):
                        levels = (app_level, pipeline_level, request_level)
                        marker = f"{pipeline} app={app_level} request={request_level}"
                        response = client.call_pipeline(pipeline, marker, use_worker=request_level)
                        in_worker = response.job_id is not None
                        if in_worker != _expected_in_worker(*levels):
                            where = "a worker" if in_worker else "the server"
                            mistakes.append(
                                f"levels (app, pipeline, request) {levels} ran in {where}"
                            )
                        elif in_worker:
                            assert response.job_id is not None
                            jobs.append((response.job_id, marker))
                        elif response.value != marker:
                            mistakes.append(
                                f"levels {levels}: the server answered {response.value!r}"
                            )
        finally:
            app.use_workers = original
        assert not mistakes, "the three-level use_worker rule was broken: " + "; ".join(mistakes)
        for job_id, marker in jobs:
            final = harness.wait(
                job_id, "a call sent to a worker by the use_worker rule should run"
            )
            assert (final.status, final.result) == (JobStatus.done, marker), (
                f"a call sent to a worker should give its value {marker!r}: {describe_job(final)}"
            )
