"""Messages from the broker are untrusted: a worker refuses what is no job message, what does
not match its job's record (the digest kept at submit), and, with ``CHARIOTS_SECRET_KEY``, what
is not signed with one of its keys."""

from __future__ import annotations

import dataclasses
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).with_name("apps")))

from worker_test_pipelines import make_app

from chariots_core.errors import BadRequest
from chariots_core.jobs import JobMessage, JobOptions, JobStatus
from chariots_core.jobs._integrity import SECRET_KEY_ENV
from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import MessageAction, run_job
from chariots_core.workers.embedded import EmbeddedWorkerPool


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Iterator[PipelinesServer]:
    pool = EmbeddedWorkerPool(autostart=0)  # no workers: the tests hand the messages over
    server = make_app(sqlite_url, tmp_path / "ops", f"integrity_{uuid.uuid4().hex[:8]}", pool)
    yield server
    server.op_store_client.close()


def queued_text(app: PipelinesServer, job_id: str) -> str:
    """The message text the pool carries for the job (what a worker receives)."""
    pool = app.worker_pool
    assert isinstance(pool, EmbeddedWorkerPool)
    taken = pool.message_queue.take("the-test", pool.roster.live_since())
    assert taken is not None
    pool.message_queue.delete(taken.row_id, "the-test")
    message = JobMessage.from_json(taken.text)
    assert message.job_id == job_id
    return taken.text


@pytest.mark.parametrize(
    "forge",
    [
        {"pipeline": "explode"},
        {"input": 1000},
        {"options": JobOptions(retries=5)},
    ],
    ids=["another pipeline", "another input", "other options"],
)
def test_a_message_that_does_not_match_its_jobs_record_is_refused(
    app: PipelinesServer, forge: dict[str, object]
) -> None:
    job = app.submit_job("add_one", 1)
    genuine = JobMessage.from_json(queued_text(app, job.id))
    forged = dataclasses.replace(genuine, **forge)  # type: ignore[arg-type]

    refused = run_job(forged.to_json(), "worker-a")

    assert (refused.action, refused.ran) == (MessageAction.drop, False)
    assert refused.reason == "the message does not match its job's record"
    assert app.get_job(job.id).status is JobStatus.queued
    ran = run_job(genuine, "worker-a")
    assert (ran.status, app.get_job(job.id).result) == (JobStatus.done, 2)


@pytest.mark.parametrize(
    "text",
    [
        '{"job_id": 1, "app": "a", "pipeline": "p"}',
        '{"job_id": "j", "app": "", "pipeline": "p"}',
        '{"job_id": "j", "app": "a", "pipeline": "p", "code": "import os"}',
        '{"job_id": "j", "app": "a", "pipeline": "p", "input": '
        + "[" * 100_000
        + "]" * 100_000
        + "}",
    ],
    ids=["a number for an id", "an empty app", "an unknown field", "nested too deep"],
)
def test_what_is_no_job_message_is_refused(text: str) -> None:
    with pytest.raises(BadRequest):
        JobMessage.from_json(text)
    outcome = run_job(text, "worker-a")
    assert (outcome.action, outcome.ran) == (MessageAction.drop, False)


def test_messages_are_signed_when_keys_are_set_and_refused_unsigned(
    app: PipelinesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    unsigned = JobMessage.from_json(queued_text(app, app.submit_job("add_one", 1).id))
    monkeypatch.setenv(SECRET_KEY_ENV, "k" * 32)
    job = app.submit_job("add_one", 2)
    text = queued_text(app, job.id)
    assert isinstance(json.loads(text)["signature"], str)

    refused = run_job(unsigned, "worker-a")
    ran = run_job(text, "worker-a")

    assert (refused.action, refused.reason) == (
        MessageAction.drop,
        "unsigned or mis-signed message",
    )
    assert app.get_job(unsigned.job_id).status is JobStatus.queued
    assert (ran.status, app.get_job(job.id).result) == (JobStatus.done, 3)


def test_a_message_signed_with_another_key_is_refused_and_keys_rotate(
    app: PipelinesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new, stranger = "o" * 32, "n" * 32, "s" * 32
    monkeypatch.setenv(SECRET_KEY_ENV, old)
    signed_old = queued_text(app, app.submit_job("add_one", 1).id)
    monkeypatch.setenv(SECRET_KEY_ENV, stranger)
    signed_by_stranger = queued_text(app, app.submit_job("add_one", 2).id)
    monkeypatch.setenv(SECRET_KEY_ENV, f"{new},{old}")  # rotating: new signs, both verify

    assert run_job(signed_by_stranger, "worker-a").reason == "unsigned or mis-signed message"
    assert run_job(signed_old, "worker-a").status is JobStatus.done
    signed_new = queued_text(app, app.submit_job("add_one", 3).id)
    monkeypatch.setenv(SECRET_KEY_ENV, new)  # the old key retired
    assert run_job(signed_new, "worker-a").status is JobStatus.done
    tampered = json.loads(signed_new)
    tampered["input"] = 99
    assert run_job(json.dumps(tampered), "worker-a").action is MessageAction.drop


def test_a_message_naming_another_app_cannot_fail_a_real_job(app: PipelinesServer) -> None:
    job = app.submit_job("add_one", 1)
    genuine = JobMessage.from_json(queued_text(app, job.id))
    forged = dataclasses.replace(genuine, app="an_app_this_worker_does_not_have")

    outcome = run_job(forged.to_json(), "worker-a")

    assert (outcome.action, outcome.ran) == (MessageAction.drop, False)
    assert app.get_job(job.id).status is JobStatus.queued
