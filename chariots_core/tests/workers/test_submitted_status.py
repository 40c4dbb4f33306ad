"""What a pool's ``submit`` answers is recorded as the job's native status only when it is a
``str`` or ``None``: the server refuses anything else (the job fails, the error names the pool),
and so does the recovery's resend (it logs why and records nothing)."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _polling import eventually

sys.path.insert(0, str(Path(__file__).with_name("apps")))

from worker_test_pipelines import make_app

from chariots_core.errors import WorkerPoolError
from chariots_core.jobs import JobMessage, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import recover_jobs
from chariots_core.workers._submitted import submitted_status
from chariots_core.workers.embedded import EmbeddedWorkerPool


class AnswersANumber(EmbeddedWorkerPool):
    """Queues the message, then answers a number."""

    answer: object = 7

    def submit(self, message: JobMessage) -> str | None:
        super().submit(message)
        return self.answer  # type: ignore[return-value]


@pytest.fixture
def pool() -> EmbeddedWorkerPool:
    return AnswersANumber(autostart=0)


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str, pool: EmbeddedWorkerPool) -> Iterator[PipelinesServer]:
    server = make_app(
        sqlite_url, tmp_path / "ops", f"native_{uuid.uuid4().hex[:8]}", pool, heartbeat_timeout=0.25
    )
    yield server
    server.op_store_client.close()


@pytest.mark.parametrize("answer", ["queued", "", None])
def test_a_string_or_none_is_the_native_status(answer: str | None) -> None:
    assert submitted_status(EmbeddedWorkerPool(), answer) == answer


@pytest.mark.parametrize("answer", [7, b"queued", True, ["queued"]])
def test_anything_else_is_refused_naming_the_pool_and_the_answer(answer: object) -> None:
    with pytest.raises(WorkerPoolError) as raised:
        submitted_status(AnswersANumber(), answer)
    assert str(raised.value).startswith(
        f"{__name__}.AnswersANumber.submit() returned {answer!r} (type {type(answer).__name__})"
    )


def test_the_server_fails_the_job_of_a_pool_that_answers_a_number(app: PipelinesServer) -> None:
    with pytest.raises(WorkerPoolError, match=r"AnswersANumber\.submit\(\) returned 7") as raised:
        app.submit_job("add_one", 1)
    assert str(raised.value).startswith("the worker pool (embedded pool")
    [job] = app.list_jobs().jobs
    assert (job.status, job.native_status) == (JobStatus.failed, None)


def test_the_recovery_records_no_number_when_it_sends_a_message_again(
    app: PipelinesServer, pool: AnswersANumber, caplog: pytest.LogCaptureFixture
) -> None:
    pool.answer = None
    job = app.submit_job("add_one", 1)
    assert pool.message_queue.remove_untaken(job.id)  # lost, as by a broker restarted empty
    pool.answer = 7
    store = app.job_store
    assert store is not None
    eventually(lambda: store.queued_to_check(), what="the job queued long enough")

    with caplog.at_level(logging.WARNING, "chariots_core.workers._recovery"):
        recovered = recover_jobs(store, pool)

    assert recovered.resent == 0
    assert f"could not send job {job.id}'s message again" in caplog.text
    assert "AnswersANumber.submit() returned 7 (type int)" in caplog.text
    assert app.get_job(job.id).native_status is None
