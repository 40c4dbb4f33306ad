"""Jobs on a real Redis with real RQ workers (forked from this process): messages are JSON, and
what a job's options ask is what RQ does natively."""

from __future__ import annotations

import json
import signal
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job as RQJob
from rq.job import JobStatus as RQJobStatus
from rq.serializers import JSONSerializer
from rq_test_support import FAST_WORKERS, submit_fails_first

from chariots_core.errors import BadRequest
from chariots_core.jobs import Job, JobOptions, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_rq import RQWorkerPool
from chariots_rq.worker import build_worker


def rq_job(pool: RQWorkerPool, job_id: str) -> RQJob:
    return RQJob.fetch(job_id, connection=pool.redis, serializer=JSONSerializer)


def run_sleeping_job(pool: RQWorkerPool, app: PipelinesServer, folder: Path, seconds: int) -> Job:
    """Start one worker and submit a ``sleep`` job of ``seconds`` to it; return once the job
    runs (its pid written in ``folder``)."""
    pool.start_workers(1)
    pid_file = folder / "horse.pid"
    job = app.submit_job("sleep", {"seconds": seconds, "pid_file": str(pid_file)})
    eventually(pid_file.exists, what="the job started")
    return job


# -- messages -------------------------------------------------------------------------------------


def test_rqs_job_carries_only_the_json_message(
    pool: RQWorkerPool,
    app: PipelinesServer,
    redis_client: Redis,
) -> None:
    job = app.submit_job("add_one", {"not": "a number"}, JobOptions(retries=2, priority=3))

    raw = redis_client.hgetall(f"rq:job:{job.id}")
    payload = json.loads(zlib.decompress(raw[b"data"]).decode())  # JSON, not a pickle
    function, instance, args, kwargs = payload
    assert function == "chariots_rq.task.run_message"
    assert (instance, kwargs) == (None, {})
    assert len(args) == 1
    message = json.loads(args[0])
    assert message == {
        "job_id": job.id,
        "app": app.name,
        "pipeline": "add_one",
        "input": {"not": "a number"},
        "options": JobOptions(retries=2, priority=3).to_json(),
    }
    # the callbacks are names too, and nothing else of the app travels
    assert raw[b"failure_callback_name"] == b"chariots_rq.task.on_failure"
    assert raw[b"stopped_callback_name"] == b"chariots_rq.task.on_stopped"
    assert b"\x80\x04" not in b"".join(raw.values())  # no pickle protocol header anywhere
    assert redis_client.lrange(f"rq:queue:{pool.queue_name}:p+3", 0, -1) == [job.id.encode()]
    assert job.native_status == "queued"


def test_an_input_that_is_not_json_is_refused_before_anything_is_queued(
    pool: RQWorkerPool, app: PipelinesServer
) -> None:

    with pytest.raises(BadRequest, match="JSON-serialisable"):
        app.submit_job("add_one", object())

    assert all(queue.count == 0 for queue in pool.queues)


# -- running --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fork", [True, False], ids=["forking-worker", "simple-worker"])
def test_a_job_runs_on_a_worker_and_its_result_is_recorded(
    make_pool: Callable[..., RQWorkerPool],
    make_app: Callable[..., PipelinesServer],
    fork: bool,
) -> None:
    pool = make_pool(fork=str(fork).lower())
    app = make_app(pool)
    pool.start_workers(1)

    job = app.submit_job("add_one", 41)
    finished = app.wait_for_job(job.id, DEADLINE)

    assert (finished.status, finished.result, finished.attempts) == (JobStatus.done, 42, 1)
    assert finished.native_status == "finished"  # what RQ calls a job that ended well
    worker_name = rq_job(pool, job.id).worker_name
    assert finished.worker_id is not None
    assert finished.worker_id.endswith(f":rq-{worker_name}")
    eventually(
        lambda: rq_job(pool, job.id).get_status() == RQJobStatus.FINISHED, what="RQ finished"
    )


def test_a_failed_job_is_failed_in_rq_too_and_not_retried(
    pool: RQWorkerPool, app: PipelinesServer
) -> None:
    pool.start_workers(1)

    job = app.submit_job("explode", "boom")
    finished = app.wait_for_job(job.id, DEADLINE)

    assert finished.status is JobStatus.failed
    assert finished.error is not None
    assert finished.error["type"] == "ValueError"
    assert finished.error["message"] == "exploded on 'boom'"
    assert finished.attempts == 1
    eventually(lambda: rq_job(pool, job.id).get_status() == RQJobStatus.FAILED, what="RQ failed")


def test_a_timeout_is_rqs_and_kills_a_long_node(pool: RQWorkerPool, app: PipelinesServer) -> None:
    pool.start_workers(1)
    started = time.monotonic()

    job = app.submit_job("sleep", {"seconds": 30}, JobOptions(timeout=1))
    finished = app.wait_for_job(job.id, DEADLINE)

    assert time.monotonic() - started < 20  # the node's 30 s sleep was cut short
    assert finished.status is JobStatus.failed
    assert finished.error is not None
    assert finished.error["type"] == "JobTimeoutException"
    assert "timeout" in (finished.error["message"] or "").lower()
    assert rq_job(pool, job.id).timeout == 1


def test_retries_are_rqs_with_their_interval(
    pool: RQWorkerPool, app: PipelinesServer, tmp_path: Path
) -> None:
    pool.start_workers(1)

    job, counter = submit_fails_first(app, tmp_path, 2, JobOptions(retries=2, retry_interval=1))
    queued = rq_job(pool, job.id)
    # RQ truncates its schedule to whole seconds: one more makes the interval a floor
    assert (queued.retries_left, queued.retry_intervals) == (2, [2])
    finished = app.wait_for_job(job.id, DEADLINE)

    assert (finished.status, finished.result, finished.attempts) == (JobStatus.done, 3, 3)
    assert counter.read_text() == "3"
    # two intervals of at least a second each between the three runs
    assert finished.started_at is not None
    assert (finished.started_at - finished.submitted_at).total_seconds() >= 2


def test_a_job_that_fails_more_than_its_retries_ends_failed(
    pool: RQWorkerPool, app: PipelinesServer, tmp_path: Path
) -> None:
    pool.start_workers(1)

    job, counter = submit_fails_first(app, tmp_path, 5, JobOptions(retries=1))
    finished = app.wait_for_job(job.id, DEADLINE)

    assert (finished.status, finished.attempts) == (JobStatus.failed, 2)
    assert finished.error is not None
    assert finished.error["message"] == "run 2 fails"
    eventually(lambda: rq_job(pool, job.id).get_status() == RQJobStatus.FAILED, what="RQ failed")
    assert counter.read_text() == "2"


def test_a_delay_is_rqs_schedule_and_never_cut_short(
    pool: RQWorkerPool, app: PipelinesServer
) -> None:
    pool.start_workers(1)

    job = app.submit_job("add_one", 1, JobOptions(delay=1.5))

    assert job.native_status == "scheduled"
    assert rq_job(pool, job.id).get_status() == RQJobStatus.SCHEDULED
    registry = pool.queue_for(0).scheduled_job_registry
    assert registry.get_job_ids() == [job.id]
    scheduled = registry.get_scheduled_time(job.id)
    assert (scheduled - job.submitted_at).total_seconds() >= 1.5
    assert app.wait_for_job(job.id, 0.5).status is JobStatus.queued  # held back
    finished = app.wait_for_job(job.id, DEADLINE)
    assert (finished.status, finished.result) == (JobStatus.done, 2)
    assert finished.started_at is not None
    assert (finished.started_at - finished.submitted_at).total_seconds() >= 1.5


# -- cancel and stop ------------------------------------------------------------------------------


def test_cancelling_a_queued_job_removes_it_from_rqs_queue(
    pool: RQWorkerPool, app: PipelinesServer
) -> None:
    job = app.submit_job("add_one", 1)
    after = app.submit_job("add_one", 2)
    assert pool.queue_for(0).job_ids == [job.id, after.id]

    cancelled = app.cancel_job(job.id)

    assert cancelled.status is JobStatus.cancelled
    assert pool.queue_for(0).job_ids == [after.id]
    assert rq_job(pool, job.id).get_status() == RQJobStatus.CANCELED
    pool.start_workers(1)
    assert app.wait_for_job(after.id, DEADLINE).status is JobStatus.done
    never_ran = app.get_job(job.id)
    assert (never_ran.status, never_ran.attempts, never_ran.started_at) == (
        JobStatus.cancelled,
        0,
        None,
    )


def test_cancelling_a_delayed_job_takes_it_off_the_schedule(
    pool: RQWorkerPool, app: PipelinesServer
) -> None:
    job = app.submit_job("add_one", 1, JobOptions(delay=30))

    app.cancel_job(job.id)

    assert rq_job(pool, job.id).get_status() == RQJobStatus.CANCELED
    assert job.id not in pool.queue_for(0).scheduled_job_registry.get_job_ids()


def test_cancelling_a_running_job_stops_its_work_horse(
    pool: RQWorkerPool, app: PipelinesServer, tmp_path: Path
) -> None:
    job = run_sleeping_job(pool, app, tmp_path, 60)
    assert app.get_job(job.id).status is JobStatus.running
    started = time.monotonic()

    app.cancel_job(job.id)
    finished = app.wait_for_job(job.id, DEADLINE)

    assert finished.status is JobStatus.cancelled
    assert time.monotonic() - started < 30  # the 60 s node was killed, not waited for
    assert finished.error is not None
    assert "send_stop_job_command" in (finished.error["message"] or "")
    eventually(lambda: rq_job(pool, job.id).get_status() == RQJobStatus.STOPPED, what="RQ stopped")
    # the worker goes on with the next job
    assert app.wait_for_job(app.submit_job("add_one", 1).id, DEADLINE).status is JobStatus.done


def test_cancel_answers_false_for_jobs_rq_does_not_hold(pool: RQWorkerPool) -> None:
    assert pool.cancel("no-such-job") is False


# -- priorities -----------------------------------------------------------------------------------


def test_higher_priorities_start_first(pool: RQWorkerPool, app: PipelinesServer) -> None:
    submitted = [
        (priority, app.submit_job("add_one", index, JobOptions(priority=priority)))
        for index, priority in enumerate([0, 5, -3, 10, 0, 5, -20, 99])
    ]
    pool.start_workers(1)  # one worker: one job at a time, in the order it dequeues them

    finished = [app.wait_for_job(job.id, DEADLINE) for _, job in submitted]

    assert all(job.status is JobStatus.done for job in finished)
    order = [
        priority
        for (priority, _), job in sorted(
            zip(submitted, finished, strict=True),
            key=lambda pair: pair[1].started_at,  # type: ignore[arg-type,return-value]
        )
    ]
    # 99 shares the queue of level 10, -20 the one of level -10; each queue is first in, first out
    assert order == [10, 99, 5, 5, 0, 0, -3, -20]


# -- workers --------------------------------------------------------------------------------------


def test_n_workers_counts_only_the_workers_of_this_pools_queues(
    pool: RQWorkerPool, make_pool: Callable[..., RQWorkerPool], queue_name: str
) -> None:
    other = RQWorkerPool(
        pool.redis, queue=f"{queue_name}-other", worker_options=pool.worker_options
    )
    assert (pool.n_workers, other.n_workers) == (0, 0)

    other.start_workers(2)
    try:
        assert (pool.n_workers, other.n_workers) == (0, 2)
        pool.start_workers(1)
        assert (pool.n_workers, other.n_workers) == (1, 2)
    finally:
        other.stop_workers()

    assert (pool.n_workers, other.n_workers) == (1, 0)
    pool.stop_workers()
    assert pool.n_workers == 0


def test_stop_workers_lets_the_job_in_hand_finish(
    pool: RQWorkerPool, app: PipelinesServer, tmp_path: Path
) -> None:
    job = run_sleeping_job(pool, app, tmp_path, 1)

    pool.stop_workers(timeout=DEADLINE)

    assert app.get_job(job.id).status is JobStatus.done
    assert pool.n_workers == 0
    assert pool.background_workers.pids == []


def test_stop_workers_past_its_timeout_stops_cold_and_the_job_is_lost(
    pool: RQWorkerPool, app: PipelinesServer, tmp_path: Path
) -> None:
    job = run_sleeping_job(pool, app, tmp_path, 60)
    started = time.monotonic()

    pool.stop_workers(timeout=0.5)

    assert time.monotonic() - started < 30
    lost = app.get_job(job.id)
    assert (lost.status, lost.native_status) == (JobStatus.lost, "worker killed")
    assert pool.n_workers == 0


def test_the_workers_housekeeping_options_reach_rq(pool: RQWorkerPool) -> None:
    pool.start_workers(1)
    (key,) = pool.redis.smembers(f"rq:workers:{pool.queue_name}")

    registered = pool.redis.hgetall(key)

    assert registered[b"queues"].decode().split(",") == pool.queue_names
    assert 0 < pool.redis.ttl(key) <= FAST_WORKERS["worker_ttl"] + 60


def test_a_stop_asked_before_the_work_loop_ends_the_worker_cleanly(pool: RQWorkerPool) -> None:
    """RQ's SIGTERM handler raises StopRequested, which only its work loop catches: asked while
    the worker starts, the stop must still unregister it and stop its scheduler."""
    worker = build_worker(pool, pool.worker_options)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker._shutdown()  # what RQ's handler does on SIGTERM
        assert worker._stop_requested
        started = time.monotonic()
        worked = worker.work(with_scheduler=True, logging_level="WARNING")
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)

    assert worked is False
    assert time.monotonic() - started < 10
    assert pool.n_workers == 0
    assert worker.scheduler is not None
    assert worker.scheduler._process is not None
    assert not worker.scheduler._process.is_alive()
