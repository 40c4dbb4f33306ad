"""The job store on its own: records, claims, heartbeats, ends, listing, waiting and expiry.

Every test runs on a SQLite file and on a PostgreSQL schema.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta, timezone

import pytest
from _polling import eventually

from chariots_core.database import Database, utc_now
from chariots_core.errors import JobExpired, JobNotFound
from chariots_core.jobs import Job, JobOptions, JobPage, JobStatus, JobStore
from chariots_core.jobs import _store as store_module

BOOM = {"type": "ValueError", "message": "boom", "traceback": "Traceback ..."}


def test_create_then_get(store: JobStore) -> None:
    options = JobOptions(retries=2, priority=5)
    created = store.create("app", "train", options)
    job = store.get(created.id)
    assert job == created
    assert job.status is JobStatus.queued
    assert (job.app, job.pipeline, job.attempts) == ("app", "train", 0)
    assert job.options == options.to_json()
    assert job.submitted_at.tzinfo is not None
    assert job.submitted_at.utcoffset() == timezone.utc.utcoffset(None)
    assert job.started_at is job.finished_at is job.worker_id is job.result is job.error is None
    assert store.create("app", "train", job_id="chosen-id").id == "chosen-id"


def test_unknown_job_is_not_found(store: JobStore) -> None:
    with pytest.raises(JobNotFound, match="no-such-job"):
        store.get("no-such-job")


def test_a_finished_job_expires_after_its_ttl_and_leaves_a_tombstone(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = store.create("app", "train", JobOptions(ttl=60))
    store.claim(job.id, "worker")
    assert store.finish(job.id, "worker", JobStatus.done, result=1)
    done = store.get(job.id)
    assert done.expires_at is not None
    assert done.finished_at is not None
    assert (done.expires_at - done.finished_at).total_seconds() == pytest.approx(60)

    # a minute later (the store's clock moved on: a short TTL would race a slow machine's read)
    later = utc_now() + timedelta(seconds=61)
    monkeypatch.setattr(store_module, "utc_now", lambda: later)
    with pytest.raises(JobExpired):
        store.get(job.id)
    with pytest.raises(JobExpired):  # the record is gone; its tombstone still answers
        store.get(job.id)
    assert store.list_jobs(app="app") == JobPage([], 0, True, 0, 50)


def test_expired_records_are_purged_in_bulk(store: JobStore) -> None:
    short = [store.create("app", "p", JobOptions(ttl=0.2)) for _ in range(3)]
    kept = store.create("app", "p")
    for job in [*short, kept]:
        store.claim(job.id, "w")
        store.finish(job.id, "w", JobStatus.done)
    purged: list[int] = []
    eventually(lambda: purged.append(store.purge_expired()) or sum(purged) == 3, timeout=10.0)
    assert [job.id for job in store.list_jobs().jobs] == [kept.id]
    for job in short:
        with pytest.raises(JobExpired):
            store.get(job.id)


def test_only_one_of_many_racing_workers_claims_a_job(store: JobStore) -> None:
    job = store.create("app", "train")
    racers = 6
    start = threading.Barrier(racers)
    claims: list[Job | None] = []
    lock = threading.Lock()

    def race(worker_id: str) -> None:
        start.wait()
        claimed = store.claim(job.id, worker_id)
        with lock:
            claims.append(claimed)

    threads = [threading.Thread(target=race, args=(f"w{n}",)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [claimed for claimed in claims if claimed is not None]
    assert len(claims) == racers
    assert len(winners) == 1
    running = store.get(job.id)
    assert running.status is JobStatus.running
    assert running.worker_id == winners[0].worker_id
    assert running.attempts == 1
    assert running.started_at is not None


def test_a_cancelled_job_is_not_claimed(store: JobStore) -> None:
    job = store.create("app", "train")
    cancelled = store.cancel(job.id)
    assert cancelled.status is JobStatus.cancelled
    assert cancelled.finished_at is not None
    assert store.claim(job.id, "worker") is None
    assert store.get(job.id).status is JobStatus.cancelled


def test_a_finished_job_is_not_claimed_again(store: JobStore) -> None:
    job = store.create("app", "train")
    assert store.claim(job.id, "first") is not None
    assert store.finish(job.id, "first", JobStatus.done, result={"accuracy": 0.9})
    assert store.claim(job.id, "second") is None
    done = store.get(job.id)
    assert (done.status, done.worker_id, done.attempts) == (JobStatus.done, "first", 1)
    assert done.result == {"accuracy": 0.9}


def test_unknown_job_is_not_claimed(store: JobStore) -> None:
    assert store.claim("nothing-here", "worker") is None


def test_a_job_whose_worker_went_silent_is_claimed_again(database: Database) -> None:
    store = JobStore(database, heartbeat_timeout=0.3)
    job = store.create("app", "train", JobOptions(retries=1))
    assert store.claim(job.id, "silent") is not None
    assert store.claim(job.id, "other") is None  # its worker is alive for now

    claimed: list[Job] = []

    def taken_over() -> bool:
        again = store.claim(job.id, "other")
        if again is not None:
            claimed.append(again)
        return again is not None

    eventually(taken_over, timeout=10.0)
    assert (claimed[0].worker_id, claimed[0].attempts) == ("other", 2)
    # the silent worker comes back: its job is not its own any more
    assert store.heartbeat(job.id, "silent") is True
    assert not store.finish(job.id, "silent", JobStatus.failed, error=BOOM)
    assert store.finish(job.id, "other", JobStatus.done, result=3)
    done = store.get(job.id)
    assert (done.status, done.worker_id, done.result, done.error) == (
        JobStatus.done,
        "other",
        3,
        None,
    )


def test_a_silent_job_with_no_run_left_reads_lost_for_good(database: Database) -> None:
    store = JobStore(database, heartbeat_timeout=0.3)
    job = store.create("app", "train")
    store.claim(job.id, "dies")
    eventually(lambda: store.get(job.id).status is JobStatus.lost, timeout=10.0)
    lost = store.get(job.id)
    assert lost.finished_at is not None
    assert lost.error is not None
    assert lost.error["type"] == "WorkerLost"
    assert "no heartbeat for 0.3s" in str(lost.error["message"])
    assert store.claim(job.id, "redelivered") is None  # lost is final: a redelivery is dropped
    assert store.get(job.id).status is JobStatus.lost


def test_a_silent_job_with_runs_left_reads_queued_until_it_runs_again(database: Database) -> None:
    store = JobStore(database, heartbeat_timeout=0.3)
    job = store.create("app", "train", JobOptions(retries=1))
    store.claim(job.id, "dies")
    seen = eventually(
        lambda: (found := store.get(job.id)).status is not JobStatus.running and found,
        timeout=10.0,
    )
    assert (seen.status, seen.attempts, seen.finished_at) == (JobStatus.queued, 1, None)
    assert seen.error is not None
    assert seen.error["type"] == "WorkerLost"
    assert "the job is queued to run again" in str(seen.error["message"])
    assert [check.id for check in store.queued_to_check() if check.resend] == [job.id]
    rerun = store.claim(job.id, "redelivered")
    assert rerun is not None
    assert (rerun.status, rerun.attempts, rerun.error) == (JobStatus.running, 2, None)
    assert store.queued_to_check() == []


def test_a_dead_worker_s_job_whose_cancel_was_asked_ends_cancelled(database: Database) -> None:
    store = JobStore(database, heartbeat_timeout=0.3)
    job = store.create("app", "train", JobOptions(retries=3))
    store.claim(job.id, "dies")
    store.cancel(job.id)
    eventually(lambda: store.get(job.id).status is JobStatus.cancelled, timeout=10.0)


def test_worker_gone_applies_to_running_jobs_only(store: JobStore) -> None:
    queued = store.create("app", "train")
    assert store.worker_gone(queued.id, None, "gone") is None
    store.claim(queued.id, "w")
    assert store.worker_gone(queued.id, "another", "gone") is None  # not that worker's run
    assert store.worker_gone(queued.id, "w", "gone", native_status="worker gone") is (
        JobStatus.lost
    )
    lost = store.get(queued.id)
    assert (lost.status, lost.native_status) == (JobStatus.lost, "worker gone")


def test_heartbeat_records_progress_and_returns_the_cancel_flag(store: JobStore) -> None:
    job = store.create("app", "train")
    claimed = store.claim(job.id, "worker")
    assert claimed is not None
    assert claimed.heartbeat_at is not None
    assert store.heartbeat(job.id, "worker", progress=(1, 3)) is False
    beaten = store.get(job.id)
    assert beaten.progress == (1, 3)
    assert beaten.heartbeat_at is not None
    assert beaten.heartbeat_at >= claimed.heartbeat_at

    asked = store.cancel(job.id)
    assert (asked.status, asked.cancel_requested) == (JobStatus.running, True)
    assert store.heartbeat(job.id, "worker", progress=(2, 3)) is True
    assert store.finish(job.id, "worker", JobStatus.cancelled, progress=(2, 3))
    cancelled = store.get(job.id)
    assert (cancelled.status, cancelled.progress) == (JobStatus.cancelled, (2, 3))


def test_heartbeat_of_a_worker_that_does_not_hold_the_job_asks_it_to_stop(store: JobStore) -> None:
    job = store.create("app", "train")
    store.claim(job.id, "holder")
    assert store.heartbeat(job.id, "stranger") is True
    assert store.heartbeat(job.id, "holder") is False


def test_finish_records_result_error_and_provenance(store: JobStore) -> None:
    done = store.create("app", "train")
    store.claim(done.id, "w")
    assert store.finish(
        done.id,
        "w",
        JobStatus.done,
        result=[1, 2],
        versions_loaded={"pca": "a"},
        versions_saved={"pca": "b"},
        progress=(2, 2),
    )
    job = store.get(done.id)
    assert (job.result, job.versions_loaded, job.versions_saved, job.progress) == (
        [1, 2],
        {"pca": "a"},
        {"pca": "b"},
        (2, 2),
    )
    assert job.error is None

    failed = store.create("app", "train")
    store.claim(failed.id, "w")
    assert store.finish(failed.id, "w", JobStatus.failed, error=BOOM)
    assert store.get(failed.id).error == BOOM


def test_a_run_to_be_retried_goes_back_to_queued_and_its_next_claim_starts_clean(
    store: JobStore,
) -> None:
    job = store.create("app", "train", JobOptions(retries=1))
    store.claim(job.id, "w")
    assert store.finish(job.id, "w", JobStatus.queued, error=BOOM)
    queued = store.get(job.id)
    assert (queued.status, queued.error, queued.finished_at) == (JobStatus.queued, BOOM, None)
    again = store.claim(job.id, "w2")
    assert again is not None
    assert (again.attempts, again.error) == (2, None)


def test_fail_unstarted_fails_queued_jobs_only(store: JobStore) -> None:
    refused = store.create("app", "train")
    assert store.fail_unstarted(refused.id, BOOM)
    failed = store.get(refused.id)
    assert (failed.status, failed.error, failed.attempts) == (JobStatus.failed, BOOM, 0)
    assert failed.expires_at is not None

    running = store.create("app", "train")
    store.claim(running.id, "w")
    assert not store.fail_unstarted(running.id, BOOM)
    assert store.get(running.id).status is JobStatus.running


def test_list_jobs_filters_paginates_and_counts(store: JobStore) -> None:
    made = []
    for n in range(7):
        made.append(store.create("app", "train" if n % 2 else "predict"))
    other_app = store.create("other", "train")
    for job in made[:2]:
        store.claim(job.id, "w")
        store.finish(job.id, "w", JobStatus.done)

    everything = store.list_jobs(app="app", limit=100)
    assert (everything.total, everything.total_exact) == (7, True)
    assert [job.id for job in everything.jobs] == [job.id for job in reversed(made)]  # newest 1st
    assert other_app.id not in {job.id for job in everything.jobs}

    train = store.list_jobs(app="app", pipeline="train")
    assert train.total == 3
    assert {job.pipeline for job in train.jobs} == {"train"}

    done = store.list_jobs(app="app", status=JobStatus.done)
    assert done.total == 2
    assert {job.id for job in done.jobs} == {made[0].id, made[1].id}

    pages = [store.list_jobs(app="app", limit=3, offset=offset) for offset in (0, 3, 6)]
    assert [len(page.jobs) for page in pages] == [3, 3, 1]
    assert {page.total for page in pages} == {7}
    assert [page.next_offset for page in pages] == [3, 6, None]
    assert [job.id for page in pages for job in page.jobs] == [job.id for job in everything.jobs]
    assert store.list_jobs(app="app", limit=3, offset=9) == JobPage([], 7, True, 9, 3)


def test_wait_returns_once_the_job_is_finished(store: JobStore) -> None:
    job = store.create("app", "train")
    store.claim(job.id, "w")
    waiting = threading.Event()

    def finish_once_waited_for() -> None:
        waiting.wait(10)
        store.finish(job.id, "w", JobStatus.done, result="ok")

    finisher = threading.Thread(target=finish_once_waited_for)
    finisher.start()
    waiting.set()
    started = time.monotonic()
    done = store.wait(job.id, timeout=20)
    finisher.join()
    assert (done.status, done.result) == (JobStatus.done, "ok")
    assert time.monotonic() - started < 10


def test_wait_returns_the_job_as_it_stands_at_the_timeout(store: JobStore) -> None:
    job = store.create("app", "train")
    started = time.monotonic()
    still = store.wait(job.id, timeout=0.3)
    assert still.status is JobStatus.queued
    assert time.monotonic() - started >= 0.3


def test_wait_for_an_unknown_job_raises(store: JobStore) -> None:
    with pytest.raises(JobNotFound):
        store.wait("nothing-here", timeout=1)
