"""The core's recovery (part of "no job left behind"): a job whose message its broker lost is
sent again, up to a bound after which it ends ``lost`` saying why; a job its broker holds, or one
not due yet, is left alone. The embedded pool's broker is its queue table: losing a message is
removing its row, as a broker restarted without persistence does."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _polling import eventually

sys.path.insert(0, str(Path(__file__).with_name("apps")))

from worker_test_pipelines import make_app

from chariots_core.jobs import Job, JobOptions, JobStatus, JobStore
from chariots_core.pipelines import PipelinesServer
from chariots_core.workers import MAX_RESUBMITS, JobRecovery, recover_jobs
from chariots_core.workers.embedded import EmbeddedWorkerPool

#: the app's heartbeat timeout: a queued job is checked on after four of them (1 s)
HEARTBEAT_TIMEOUT = 0.25


@pytest.fixture
def pool() -> EmbeddedWorkerPool:
    return EmbeddedWorkerPool(autostart=0)  # workers only when the test starts them


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str, pool: EmbeddedWorkerPool) -> Iterator[PipelinesServer]:
    server = make_app(
        sqlite_url,
        tmp_path / "ops",
        f"recovery_{uuid.uuid4().hex[:8]}",
        pool,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )
    yield server
    pool.stop_workers(timeout=10)
    server.op_store_client.close()


def store_of(app: PipelinesServer) -> JobStore:
    assert app.job_store is not None
    return app.job_store


def lose_message(pool: EmbeddedWorkerPool, job: Job) -> None:
    assert pool.message_queue.remove_untaken(job.id)
    assert not pool.holds_message(job.id)


def test_a_job_whose_message_was_lost_is_sent_again_and_runs(
    app: PipelinesServer, pool: EmbeddedWorkerPool
) -> None:
    job = app.submit_job("add_one", 1)
    lose_message(pool, job)

    eventually(lambda: app.get_job(job.id) and pool.holds_message(job.id), what="sent again")
    pool.start_workers(1)
    done = app.wait_for_job(job.id, timeout=30)

    assert (done.status, done.result, done.attempts) == (JobStatus.done, 2, 1)


def test_a_job_whose_message_keeps_being_lost_ends_lost_saying_why(
    app: PipelinesServer, pool: EmbeddedWorkerPool
) -> None:
    job = app.submit_job("add_one", 1)
    for _ in range(MAX_RESUBMITS):
        lose_message(pool, job)
        eventually(lambda: app.get_job(job.id) and pool.holds_message(job.id), what="sent again")
    lose_message(pool, job)

    lost = eventually(
        lambda: (found := app.get_job(job.id)).status.is_finished and found, what="given up"
    )

    assert (lost.status, lost.attempts) == (JobStatus.lost, 0)
    assert lost.error is not None
    assert lost.error["type"] == "WorkerLost"
    assert f"sent {MAX_RESUBMITS + 1} times and lost each time" in str(lost.error["message"])


def test_a_job_its_broker_holds_is_not_sent_again(
    app: PipelinesServer, pool: EmbeddedWorkerPool
) -> None:
    job = app.submit_job("add_one", 1)
    store = store_of(app)
    checks = eventually(lambda: store.queued_to_check(), what="the job queued long enough")
    assert [check.id for check in checks] == [job.id]

    recovered = recover_jobs(store, pool)

    assert (recovered.held, recovered.resent) == (1, 0)
    assert len(pool.message_queue) == 1
    assert store.queued_to_check() == []  # checked: not again before another stuck_after


def test_a_delayed_job_is_not_checked_before_it_is_due(app: PipelinesServer) -> None:
    job = app.submit_job("add_one", 1, JobOptions(delay=3600))
    store = store_of(app)
    other = app.submit_job("add_one", 2)

    checked = eventually(lambda: store.queued_to_check(), what="the other job checked")

    assert [check.id for check in checked] == [other.id]
    assert job.id not in {check.id for check in store.queued_to_check()}


class CannotTell(EmbeddedWorkerPool):
    """A pool whose broker cannot say whether it holds a message (as Celery's and Dramatiq's)."""

    asked: int = 0

    def holds_message(self, job_id: str) -> bool | None:
        self.asked += 1
        return None


def test_a_pool_that_cannot_tell_is_not_asked_about_waiting_jobs_again(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Its answer, not whether it overrides ``holds_message``, stops the questions: the job
    waits, and the recovery asks the pool nothing more about jobs that wait."""
    pool = CannotTell(autostart=0)
    app = make_app(
        sqlite_url, tmp_path / "ops", f"recovery_{uuid.uuid4().hex[:8]}", pool,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )  # fmt: skip
    try:
        job = app.submit_job("add_one", 1)
        store = store_of(app)
        eventually(lambda: store.queued_to_check(), what="the job queued long enough")
        recovery = JobRecovery(store, pool, interval=0)

        first = recovery.maybe_run()
        assert first is not None
        assert (first.held, first.resent, first.cannot_tell, pool.asked) == (1, 0, True, 1)
        eventually(lambda: store.queued_to_check(), what="the job stuck again")
        second = recovery.maybe_run()

        assert second is not None
        assert (second.held, pool.asked) == (0, 1)
        assert app.get_job(job.id).status is JobStatus.queued
    finally:
        app.op_store_client.close()


def test_with_resend_off_recovery_sends_no_message_again(
    app: PipelinesServer, pool: EmbeddedWorkerPool
) -> None:
    store = store_of(app)
    store.resend_messages = False  # as the conformance suite proving `redelivery` sets it
    job = app.submit_job("add_one", 1)
    lose_message(pool, job)
    eventually(lambda: store.queued_to_check(), what="the job queued long enough")

    recovered = recover_jobs(store, pool)

    assert (recovered.resent, recovered.held, recovered.lost) == (0, 0, 0)
    assert not pool.holds_message(job.id)
    assert app.get_job(job.id).status is JobStatus.queued
