"""The embedded worker pool: the database as queue, workers in threads or forked processes.

Apps run in this process (workers inherit them across forks); the pipelines are in
``apps/worker_test_pipelines.py``. Most tests use a SQLite file; the ones about concurrency and
the queue's SQL run on PostgreSQL too.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).with_name("apps")))

from _polling import eventually
from worker_test_pipelines import make_app

from chariots_core.database import Database
from chariots_core.errors import WorkerPoolError
from chariots_core.jobs import Job, JobOptions, JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing import TestPipelinesClient
from chariots_core.workers import Capability, available_backends, get_worker_pool
from chariots_core.workers.embedded import (
    PROCESS_CAPABILITIES,
    THREAD_CAPABILITIES,
    EmbeddedWorkerPool,
)

MakeApp = Callable[..., tuple[PipelinesServer, EmbeddedWorkerPool]]


@pytest.fixture
def make_pooled_app(tmp_path: Path, sqlite_url: str) -> Iterator[MakeApp]:
    """Builds the test app on an embedded pool (no workers until a test starts them)."""
    made: list[tuple[PipelinesServer, EmbeddedWorkerPool]] = []

    def make(
        database_url: str = sqlite_url, heartbeat_timeout: float = 30.0, **pool_options: Any
    ) -> tuple[PipelinesServer, EmbeddedWorkerPool]:
        pool_options.setdefault("autostart", 0)  # the tests start the workers they want
        pool = EmbeddedWorkerPool(**pool_options)
        app = make_app(
            database_url,
            tmp_path / "ops",
            import_name=f"pool_test_{uuid.uuid4().hex[:8]}",
            worker_pool=pool,
            heartbeat_timeout=heartbeat_timeout,
        )
        assert app.worker_pool is pool  # built and attached
        made.append((app, pool))
        return app, pool

    yield make
    for app, pool in made:
        pool.stop_workers(timeout=10)
        app.op_store_client.close()


def hold_input(tmp_path: Path, value: int = 1) -> tuple[dict[str, Any], Path]:
    """An input of the ``hold`` pipeline, and the file that lets it go on."""
    release = tmp_path / f"release-{uuid.uuid4().hex}"
    return {"release": str(release), "value": value}, release


def running(app: PipelinesServer, job_id: str, progress: tuple[int, int] | None = None) -> Job:
    """The job once a worker runs it (and, if given, has reached ``progress``)."""

    def check() -> Job | None:
        job = app.get_job(job_id)
        assert not job.status.is_finished, f"job ended {job.status} before it was caught running"
        ready = job.status is JobStatus.running and progress in (None, job.progress)
        return job if ready else None

    return eventually(check, what=f"job {job_id} running at {progress}")


# -- running jobs -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_a_submitted_job_is_run_by_a_worker(make_pooled_app: MakeApp, mode: str) -> None:
    app, pool = make_pooled_app(mode=mode)
    pool.start_workers(1)
    client = TestPipelinesClient(app)
    response = client.call_pipeline("add_one", 41, use_worker=True)
    assert response.job_id is not None
    assert response.job_status is JobStatus.queued
    done = client.wait_for_job(response.job_id, timeout=20)
    assert (done.job_status, done.value) == (JobStatus.done, 42)
    job = client.get_job(response.job_id)
    assert (job.attempts, job.progress, job.error) == (1, (1, 1), None)
    assert job.worker_id is not None
    assert ":embedded-default-" in job.worker_id
    eventually(lambda: len(pool.message_queue) == 0, what="the message removed")


def test_a_submitted_job_is_run_by_a_worker_on_postgresql(
    make_pooled_app: MakeApp, postgres_url: str
) -> None:
    app, pool = make_pooled_app(postgres_url)
    pool.start_workers(1)
    job = app.submit_job("add_one", 1)
    done = app.wait_for_job(job.id, timeout=20)
    assert (done.status, done.result) == (JobStatus.done, 2)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_a_failing_pipeline_ends_failed_with_its_error(make_pooled_app: MakeApp, mode: str) -> None:
    app, pool = make_pooled_app(mode=mode)
    pool.start_workers(1)
    job = app.submit_job("explode", "x")
    failed = app.wait_for_job(job.id, timeout=20)
    assert failed.status is JobStatus.failed
    assert failed.error is not None
    assert failed.error["type"] == "ValueError"
    assert failed.error["message"] == "exploded on 'x'"
    traceback = failed.error["traceback"] or ""
    assert "Traceback" in traceback
    assert "in execute" in traceback
    assert failed.result is None
    assert failed.attempts == 1


# -- cancelling ---------------------------------------------------------------------------------


def test_cancelling_a_queued_job_removes_it_and_it_never_runs(
    make_pooled_app: MakeApp, tmp_path: Path
) -> None:
    app, pool = make_pooled_app()
    markers = tmp_path / "markers"
    markers.mkdir()
    job = app.submit_job("record", {"folder": str(markers), "n": 1})
    assert len(pool.message_queue) == 1

    cancelled = app.cancel_job(job.id)
    assert cancelled.status is JobStatus.cancelled
    assert len(pool.message_queue) == 0
    assert pool.cancel(job.id) is False  # nothing left to remove

    pool.start_workers(1)
    later = app.submit_job("record", {"folder": str(markers), "n": 2})
    assert app.wait_for_job(later.id, timeout=20).status is JobStatus.done
    assert [marker.name.split("-")[0] for marker in markers.iterdir()] == ["2"]
    never_ran = app.get_job(job.id)
    assert (never_ran.status, never_ran.attempts, never_ran.started_at) == (
        JobStatus.cancelled,
        0,
        None,
    )


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_cancelling_a_running_job_stops_it_between_nodes(
    make_pooled_app: MakeApp, tmp_path: Path, mode: str
) -> None:
    app, pool = make_pooled_app(mode=mode)
    pool.start_workers(1)
    spec, release = hold_input(tmp_path)
    job = app.submit_job("hold", spec)
    running(app, job.id, progress=(1, 3))

    asked = app.cancel_job(job.id)
    assert (asked.status, asked.cancel_requested) == (JobStatus.running, True)
    release.touch()  # the held node ends; the next one is not started
    cancelled = app.wait_for_job(job.id, timeout=20)
    assert cancelled.status is JobStatus.cancelled
    assert cancelled.progress == (2, 3)
    assert cancelled.result is None
    assert cancelled.error is not None
    assert cancelled.error["type"] == "JobCancelled"


# -- options: retries, delay, priority, timeouts ------------------------------------------------


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_a_failed_run_is_retried(make_pooled_app: MakeApp, tmp_path: Path, mode: str) -> None:
    app, pool = make_pooled_app(mode=mode)
    pool.start_workers(1)
    counter = tmp_path / "runs"
    job = app.submit_job("fails_first", {"counter": str(counter)}, JobOptions(retries=1))
    done = app.wait_for_job(job.id, timeout=20)
    assert (done.status, done.result, done.attempts, done.error) == (JobStatus.done, 2, 2, None)
    assert counter.read_text() == "2"


def test_retries_wait_their_interval_and_run_out(make_pooled_app: MakeApp, tmp_path: Path) -> None:
    app, pool = make_pooled_app()
    pool.start_workers(1)
    counter = tmp_path / "runs"
    submitted = time.monotonic()
    job = app.submit_job(
        "fails_first", {"counter": str(counter)}, JobOptions(retries=1, retry_interval=0.5)
    )
    assert app.wait_for_job(job.id, timeout=20).status is JobStatus.done
    assert time.monotonic() - submitted >= 0.5

    never_enough = app.submit_job("explode", 1, JobOptions(retries=2))
    failed = app.wait_for_job(never_enough.id, timeout=20)
    assert (failed.status, failed.attempts) == (JobStatus.failed, 3)
    assert failed.error is not None
    assert failed.error["type"] == "ValueError"


def test_a_delayed_job_does_not_start_before_its_delay(make_pooled_app: MakeApp) -> None:
    app, pool = make_pooled_app()
    pool.start_workers(1)
    job = app.submit_job("add_one", 1, JobOptions(delay=0.6))
    assert app.wait_for_job(job.id, timeout=0.2).status is JobStatus.queued
    done = app.wait_for_job(job.id, timeout=20)
    assert done.status is JobStatus.done
    assert done.started_at is not None
    assert (done.started_at - done.submitted_at).total_seconds() >= 0.6


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_higher_priorities_start_first(
    make_pooled_app: MakeApp, request: pytest.FixtureRequest, database: str
) -> None:
    app, pool = make_pooled_app(request.getfixturevalue(f"{database}_url"))
    low = app.submit_job("add_one", 0, JobOptions(priority=0))
    high = app.submit_job("add_one", 1, JobOptions(priority=10))
    middle = app.submit_job("add_one", 2, JobOptions(priority=5))
    also_low = app.submit_job("add_one", 3, JobOptions(priority=0))
    pool.start_workers(1)
    jobs = [app.wait_for_job(job.id, timeout=20) for job in (low, high, middle, also_low)]
    assert {job.status for job in jobs} == {JobStatus.done}
    by_start = sorted(jobs, key=lambda job: job.started_at or job.submitted_at)
    assert [job.id for job in by_start] == [high.id, middle.id, low.id, also_low.id]


def test_a_job_past_its_timeout_is_killed_in_process_mode(
    make_pooled_app: MakeApp, tmp_path: Path
) -> None:
    app, pool = make_pooled_app(mode="process")
    assert Capability.timeouts in pool.capabilities
    pool.start_workers(1)
    spec, _never_released = hold_input(tmp_path)
    started = time.monotonic()
    job = app.submit_job("hold", spec, JobOptions(timeout=0.5))
    failed = app.wait_for_job(job.id, timeout=20)
    assert time.monotonic() - started < 10  # the node would hold for a minute
    assert failed.status is JobStatus.failed
    assert failed.error is not None
    assert failed.error["type"] == "JobTimeout"
    assert "0.5s" in (failed.error["message"] or "")
    # the worker outlives its killed work horse
    after = app.submit_job("add_one", 1)
    assert app.wait_for_job(after.id, timeout=20).result == 2


def test_thread_mode_does_not_claim_timeouts() -> None:
    assert Capability.timeouts not in EmbeddedWorkerPool().capabilities
    assert Capability.timeouts in EmbeddedWorkerPool(mode="process").capabilities
    assert EmbeddedWorkerPool.capabilities == THREAD_CAPABILITIES
    assert THREAD_CAPABILITIES | {Capability.timeouts} == PROCESS_CAPABILITIES
    assert {
        Capability.cancel_queued,
        Capability.interrupt_running,
        Capability.retries,
        Capability.delay,
        Capability.priority,
        Capability.redelivery,
    } == THREAD_CAPABILITIES


def test_progress_is_recorded_while_the_job_runs(make_pooled_app: MakeApp, tmp_path: Path) -> None:
    app, pool = make_pooled_app()
    pool.start_workers(1)
    spec, release = hold_input(tmp_path, value=7)
    job = app.submit_job("hold", spec)
    held = running(app, job.id, progress=(1, 3))
    assert held.progress == (1, 3)
    release.touch()
    done = app.wait_for_job(job.id, timeout=20)
    assert (done.status, done.result, done.progress) == (JobStatus.done, 8, (3, 3))


# -- workers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_n_workers_follows_start_and_stop(make_pooled_app: MakeApp, mode: str) -> None:
    app, pool = make_pooled_app(mode=mode)
    other_queue = EmbeddedWorkerPool(queue="other")
    other_queue.attach(app.pool_context())
    assert pool.n_workers == 0
    pool.start_workers(2)
    assert pool.n_workers == 2
    pool.start_workers(1)
    assert pool.n_workers == 3
    assert other_queue.n_workers == 0
    pool.stop_workers(timeout=10)
    assert pool.n_workers == 0


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_stopping_workers_lets_the_job_in_hand_finish(
    make_pooled_app: MakeApp, tmp_path: Path, mode: str
) -> None:
    app, pool = make_pooled_app(mode=mode)
    pool.start_workers(1)
    spec, release = hold_input(tmp_path, value=1)
    job = app.submit_job("hold", spec)
    running(app, job.id)
    stopper = threading.Thread(target=pool.stop_workers, kwargs={"timeout": 20})
    stopper.start()
    release.touch()
    stopper.join(timeout=30)
    assert not stopper.is_alive()
    done = app.get_job(job.id)
    assert (done.status, done.result) == (JobStatus.done, 2)
    assert pool.n_workers == 0


#: a worker process's stop, landing while its one thread holds the queue's locks (the signal's
#: handler runs in that thread, at once inside ``raise_signal``); it prints what it saw
_STOP_WHILE_HOLDING_LOCKS = """
import signal, sys
from chariots_core.database import Database
from chariots_core.workers.embedded import _queue
from chariots_core.workers.embedded._worker import stop_on_signals

queue = _queue.MessageQueue(Database(sys.argv[1]), "default")
stop = stop_on_signals(queue)
seen = queue.puts_seen()
put_signal = _queue._signal_of(queue.database, "default")
with _queue._signals_lock, put_signal.condition:
    signal.raise_signal(signal.SIGTERM)
queue.wait_for_put(600, seen)  # woken by the stop, not after 600 s
print("stopped" if stop.is_set() else "woken, not stopped")
"""


def test_a_stop_landing_while_a_worker_process_holds_its_queue_locks_stops_it(
    sqlite_url: str,
) -> None:
    """SIGTERM's handler in an embedded worker process runs in the worker's only thread,
    between any two of its steps, so it takes no lock that thread may hold: landing while the
    worker holds the queue's locks, it stops the worker, and wakes it from its idle wait (a
    handler that woke the worker itself could hang it for good: a worker process seen on CI
    never stopping)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _STOP_WHILE_HOLDING_LOCKS, sqlite_url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except subprocess.TimeoutExpired:  # (subprocess.run killed it)
        pytest.fail("the worker process hung on a stop that landed while it held its locks")
    assert (done.returncode, done.stdout.strip()) == (0, "stopped"), done.stderr


def test_workers_only_take_their_own_queue(make_pooled_app: MakeApp) -> None:
    app, pool = make_pooled_app()
    elsewhere = EmbeddedWorkerPool(queue="elsewhere")
    elsewhere.attach(app.pool_context())
    elsewhere.start_workers(1)
    try:
        job = app.submit_job("add_one", 1)
        assert app.wait_for_job(job.id, timeout=0.3).status is JobStatus.queued
        pool.start_workers(1)
        assert app.wait_for_job(job.id, timeout=20).status is JobStatus.done
    finally:
        elsewhere.stop_workers(timeout=10)


def test_autostart_starts_workers_on_the_first_submit(make_pooled_app: MakeApp) -> None:
    app, pool = make_pooled_app(autostart=2)
    assert pool.n_workers == 0
    job = app.submit_job("add_one", 1)
    assert pool.n_workers == 2
    assert app.wait_for_job(job.id, timeout=20).status is JobStatus.done
    app.submit_job("add_one", 2)
    assert pool.n_workers == 2  # started once


@pytest.mark.parametrize("how", ["name", "url", "environment", "default", "instance"])
def test_the_embedded_pool_chosen_by_its_name_runs_jobs_like_the_default(
    how: str, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``worker_pool="embedded"``, ``"embedded://"``, ``CHARIOTS_WORKER_POOL=embedded`` and
    ``EmbeddedWorkerPool()`` run a server's jobs as leaving the pool unset does."""
    spec: Any = {"name": "embedded", "url": "embedded://", "instance": EmbeddedWorkerPool()}.get(
        how
    )
    if how == "environment":
        monkeypatch.setenv("CHARIOTS_WORKER_POOL", "embedded")
    app = make_app(sqlite_url, tmp_path / "ops", f"named_{uuid.uuid4().hex[:8]}", spec)
    try:
        job = app.submit_job("add_one", 41)
        done = app.wait_for_job(job.id, timeout=20)
        assert (done.status, done.result) == (JobStatus.done, 42)
        assert app.worker_pool.n_workers == 2
    finally:
        app.worker_pool.close()
        app.op_store_client.close()


def test_autostart_0_leaves_the_jobs_to_workers_elsewhere(make_pooled_app: MakeApp) -> None:
    app, pool = make_pooled_app(autostart=0)
    job = app.submit_job("add_one", 1)
    assert pool.n_workers == 0
    assert app.get_job(job.id).status is JobStatus.queued
    assert get_worker_pool("embedded://?autostart=0").autostart == 0


def test_no_autostart_when_a_worker_listens_already(
    make_pooled_app: MakeApp, sqlite_url: str
) -> None:
    app, pool = make_pooled_app(autostart=None)
    elsewhere = EmbeddedWorkerPool(sqlite_url)  # as a `chariots worker` process on the queue
    elsewhere.start_workers(1)
    try:
        job = app.submit_job("add_one", 1)
        assert app.wait_for_job(job.id, timeout=20).status is JobStatus.done
        assert pool.n_workers == 1
    finally:
        elsewhere.stop_workers(timeout=10)
        elsewhere.close()


def test_a_message_held_by_a_dead_worker_is_taken_over(make_pooled_app: MakeApp) -> None:
    app, pool = make_pooled_app(heartbeat_timeout=0.5)
    job = app.submit_job("add_one", 1)
    # a worker takes the message, then dies: it never beats again
    pool.roster.join(["dead-worker"])
    taken = pool.message_queue.take("dead-worker", pool.roster.live_since())
    assert taken is not None
    assert pool.message_queue.take("live-worker", pool.roster.live_since()) is None

    pool.start_workers(1)
    done = app.wait_for_job(job.id, timeout=20)
    assert (done.status, done.result) == (JobStatus.done, 2)
    assert done.worker_id is not None
    assert done.worker_id != "dead-worker"
    assert pool.n_workers == 1  # the dead worker is not counted (and its row was cleared)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_racing_workers_take_a_message_once(
    make_pooled_app: MakeApp, request: pytest.FixtureRequest, database: str
) -> None:
    app, pool = make_pooled_app(request.getfixturevalue(f"{database}_url"))
    app.submit_job("add_one", 1)
    racers = 6
    pool.roster.join([f"racer-{n}" for n in range(racers)])
    start = threading.Barrier(racers)
    taken: list[object] = []

    def race(worker_id: str) -> None:
        queue = pool.message_queue
        start.wait()
        taken.append(queue.take(worker_id, pool.roster.live_since()))

    threads = [threading.Thread(target=race, args=(f"racer-{n}",)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == racers
    assert len([message for message in taken if message is not None]) == 1


@pytest.mark.parametrize(
    ("database", "mode", "jobs"),
    [("sqlite", "thread", 200), ("postgres", "thread", 200), ("sqlite", "process", 60)],
)
def test_many_jobs_on_two_workers_each_run_exactly_once(
    make_pooled_app: MakeApp,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database: str,
    mode: str,
    jobs: int,
) -> None:
    app, pool = make_pooled_app(request.getfixturevalue(f"{database}_url"), mode=mode)
    markers = tmp_path / "markers"
    markers.mkdir()
    pool.start_workers(2)
    submitted = [app.submit_job("record", {"folder": str(markers), "n": n}) for n in range(jobs)]
    finished = [app.wait_for_job(job.id, timeout=60) for job in submitted]
    assert Counter(job.status for job in finished) == {JobStatus.done: jobs}
    assert {job.attempts for job in finished} == {1}
    assert sorted(job.result for job in finished) == list(range(jobs))
    runs = Counter(int(marker.name.split("-")[0]) for marker in markers.iterdir())
    assert runs == dict.fromkeys(range(jobs), 1)
    assert len({job.worker_id for job in finished}) == 2  # both workers took a share
    eventually(lambda: len(pool.message_queue) == 0, what="the messages removed")


# -- building the pool --------------------------------------------------------------------------


def test_pools_are_built_from_embedded_urls(tmp_path: Path) -> None:
    default = get_worker_pool("embedded://")
    assert isinstance(default, EmbeddedWorkerPool)
    assert (default.queue, default.mode, default.autostart) == ("default", "thread", None)
    with pytest.raises(WorkerPoolError, match="no database"):
        _ = default.database

    path = tmp_path / "queue.db"
    on_file = get_worker_pool(f"embedded://{path}?queue=train&mode=process&poll_interval=0.2")
    assert isinstance(on_file, EmbeddedWorkerPool)
    assert on_file.database.url.render_as_string() == f"sqlite:///{path}"
    assert (on_file.queue, on_file.mode, on_file.poll_interval) == ("train", "process", 0.2)
    assert Capability.timeouts in on_file.capabilities
    assert "queue 'train'" in on_file.describe()
    on_file.close()

    on_postgres = EmbeddedWorkerPool.from_url(
        "embedded+postgresql://user@db.example/chariots?options=-csearch_path%3Djobs&autostart=2"
    )
    url = on_postgres.database.url
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.database) == ("db.example", "chariots")
    assert url.query == {"options": "-csearch_path=jobs"}
    assert on_postgres.autostart == 2

    relative = EmbeddedWorkerPool.from_url("embedded+sqlite:///queue.db")
    assert relative.database.url.database == "queue.db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("embedded://somehost/queue.db", "names a host"),
        (
            "embedded:///x.db?colour=blue",
            "unknown option 'colour'.*takes autostart, mode, poll_interval, queue",
        ),
        (
            "embedded://?poll_interval=soon",
            "'poll_interval'.*must be a number of seconds > 0, not 'soon'",
        ),
        ("other:///x.db", "not a URL of the embedded pool"),
    ],
)
def test_bad_embedded_urls_are_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(WorkerPoolError, match=message):
        EmbeddedWorkerPool.from_url(url)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        EmbeddedWorkerPool(mode="greenlet")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="poll_interval"):
        EmbeddedWorkerPool(poll_interval=0)
    with pytest.raises(ValueError, match="autostart"):
        EmbeddedWorkerPool(autostart=-1)


def test_a_pool_given_a_database_keeps_it_when_attached(
    make_pooled_app: MakeApp, tmp_path: Path
) -> None:
    app, _ = make_pooled_app()
    own = Database(f"sqlite:///{tmp_path / 'own-queue.db'}")
    pool = EmbeddedWorkerPool(own)
    pool.attach(app.pool_context())
    assert pool.database is own
    assert pool.heartbeat_timeout == app.job_store.heartbeat_timeout  # type: ignore[union-attr]
    own.dispose()


def test_the_embedded_backend_is_registered_through_its_entry_point() -> None:
    embedded = {info.name: info for info in available_backends()}["embedded"]
    assert embedded.loaded
    assert embedded.pools == (EmbeddedWorkerPool,)
    assert embedded.distribution == "chariots-core"


def test_each_run_logs_one_line_and_a_failure_the_users_traceback(
    make_pooled_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app, pool = make_pooled_app()
    pool.start_workers(1)
    with caplog.at_level(logging.INFO, logger="chariots_core.workers.jobs"):
        done = app.wait_for_job(app.submit_job("add_one", 1).id, timeout=20)
        failed = app.wait_for_job(app.submit_job("explode", 3).id, timeout=20)

        def records_of_both() -> list[logging.LogRecord]:
            # a waiter is woken at the end's record; the worker logs the run just after it
            found = [r for r in caplog.records if r.name == "chariots_core.workers.jobs"]
            return found if len(found) >= 2 else []

        records = eventually(records_of_both, what="the two runs' log lines")
    assert [(r.levelno, r.getMessage().split(":")[0]) for r in records] == [
        (logging.INFO, f"job {done.id} app={app.name} pipeline=add_one attempt=1"),
        (logging.ERROR, f"job {failed.id} app={app.name} pipeline=explode attempt=1"),
    ]
    assert re.fullmatch(r".*: done in \d+\.\d{3}s", records[0].getMessage())
    told = records[1].getMessage()
    assert told.splitlines()[0].endswith("ValueError: exploded on 3")
    assert "Traceback (most recent call last)" in told
    assert 'raise ValueError(f"exploded on {value!r}")' in told
