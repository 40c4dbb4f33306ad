"""End to end: jobs through servers, worker processes and the embedded pool, as users run them.

1. A training pipeline runs in a worker, the server loads the model it saved and predicts.
2. Two server processes on one database answer for the same jobs (fetch, wait, cancel).
3. A worker killed mid-job leaves its job ``lost`` within the heartbeat timeout when it has no
   run left, or, with retries, the job reads ``queued`` (never ``lost``) and runs again on
   another worker.

Servers and workers are ``python -m chariots_core.cli serve|worker`` processes on loopback ports,
running ``apps/worker_test_app.py``; each is stopped (terminate, wait, kill) at teardown.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).with_name("apps")))

from _iris_ops import iris_pipelines, iris_sample
from _polling import eventually
from worker_test_app_name import APP_NAME
from worker_test_pipelines import make_app

from chariots_core.database import Database
from chariots_core.jobs import Job, JobOptions, JobStatus
from chariots_core.op_store import OpStore
from chariots_core.pipelines import PipelinesClient, PipelinesServer
from chariots_core.testing import TestPipelinesClient
from chariots_core.workers.embedded import EmbeddedWorkerPool
from chariots_core.workers.kit import descendants

#: the folder of the test app's modules (on the processes' PYTHONPATH)
APPS = Path(__file__).with_name("apps")
#: the job store's heartbeat timeout in these tests' apps: a silent worker is dead after it
HEARTBEAT_TIMEOUT = 3.0
#: what reading the job store may add to that (polling, a loaded machine)
READ_SLACK = 1.0

_SERVING = re.compile(r"serving app .* on (http://127\.0\.0\.1:\d+)/")


# -- processes ----------------------------------------------------------------------------------


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Processes:
    """``chariots serve`` and ``chariots worker`` processes of the test app, on one database."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.database_url = database_url
        self.started: list[Started] = []
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith("CHARIOTS_")
        }
        self.env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(APPS), os.environ.get("PYTHONPATH")])),
            CHARIOTS_TEST_DATABASE_URL=database_url,
            CHARIOTS_TEST_OPS_FOLDER=str(folder / "ops"),
            CHARIOTS_TEST_HEARTBEAT_TIMEOUT=str(HEARTBEAT_TIMEOUT),
        )

    def start(self, name: str, *arguments: str) -> Started:
        log = self.folder / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "chariots_core.cli", *arguments],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.folder,
            )
        started = Started(name, process, log)
        self.started.append(started)
        return started

    def serve(self, name: str) -> Started:
        return self.start(name, "serve", "--app", f"{APP_NAME}:app", "--port", "0")

    def worker(self, name: str, pool: str = "embedded") -> Started:
        return self.start(name, "worker", "--app", f"{APP_NAME}:app", "--pool", pool)

    def url_of(self, server: Started) -> str:
        def served() -> str | None:
            assert server.process.poll() is None, f"{server.name} exited:\n{server.output()}"
            match = _SERVING.search(server.output())
            return None if match is None else match[1]

        return eventually(served, what=f"{server.name} serving")

    def kill(self, started: Started) -> None:
        started.process.send_signal(signal.SIGKILL)
        started.process.wait(timeout=10)

    def stop_all(self) -> None:
        for started in self.started:
            if started.process.poll() is None:
                started.process.terminate()
        for started in self.started:
            try:
                started.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                started.process.kill()
                started.process.wait(timeout=5)


@pytest.fixture
def processes(tmp_path: Path, sqlite_url: str) -> Iterator[Processes]:
    started = Processes(tmp_path, sqlite_url)
    yield started
    started.stop_all()


@pytest.fixture
def queue_pool(processes: Processes) -> Iterator[EmbeddedWorkerPool]:
    """The embedded pool on the processes' database, seen from this process (no workers)."""
    database = Database(processes.database_url)
    pool = EmbeddedWorkerPool(database, autostart=0)
    pool.heartbeat_timeout = HEARTBEAT_TIMEOUT
    yield pool
    database.dispose()


@pytest.fixture
def local_app(processes: Processes) -> Iterator[PipelinesServer]:
    """The test app in this process: it queues jobs for the worker processes, runs none."""
    app = make_app(
        processes.database_url,
        processes.folder / "ops",
        import_name=APP_NAME,
        worker_pool="embedded://?autostart=0",  # the workers are `chariots worker` processes
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )
    yield app
    app.op_store_client.close()


def listening(pool: EmbeddedWorkerPool, count: int) -> None:
    eventually(lambda: pool.n_workers == count, what=f"{count} workers listening")


def hold_input(folder: Path, value: int) -> tuple[dict[str, object], Path]:
    release = folder / f"release-{uuid.uuid4().hex}"
    return {"release": str(release), "value": value}, release


def held_by(app: PipelinesServer, job_id: str, worker: Started | None) -> Job:
    """The job once ``worker`` runs it (in its own process: thread mode) and is held in its
    second node."""

    def check() -> Job | None:
        job = app.get_job(job_id)
        assert not job.status.is_finished, f"job ended {job.status}: {job.error}"
        held = job.status is JobStatus.running and job.progress == (1, 3)
        return job if held else None

    job = eventually(check, what=f"job {job_id} held")
    assert job.worker_id is not None
    if worker is not None:
        assert f":{worker.pid}:" in job.worker_id
    return job


# -- 1. a model trained in a worker, served by the server -----------------------------------------


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_a_model_trained_in_a_worker_is_loaded_and_used_by_the_server(
    tmp_path: Path, mode: str
) -> None:
    pool = EmbeddedWorkerPool(mode=mode)
    app = PipelinesServer(
        iris_pipelines(),
        op_store_client=OpStore(path=tmp_path / "store"),
        import_name=f"e2e_iris_{uuid.uuid4().hex[:8]}",
        worker_pool=pool,
    )
    client = TestPipelinesClient(app)
    assert app.worker_pool is pool  # the server attaches its pool on first use
    pool.start_workers(1)
    try:
        saved: dict[str, str] = {}
        for training in ("train_pca", "train_logistic"):
            submitted = client.call_pipeline(training, use_worker=True)
            assert submitted.job_id is not None
            assert client.wait_for_job(submitted.job_id, timeout=60).job_status is JobStatus.done
            job = client.get_job(submitted.job_id)
            assert job.worker_id is not None
            assert job.versions_saved
            saved.update(job.versions_saved)
        assert set(saved) == {"pcaop", "logisticop"}

        client.load_pipeline("pred")
        loaded = client.pipeline_versions("pred")
        assert {name: str(loaded[name]) for name in saved} == saved
        rows, classes = iris_sample()
        predicted = client.call_pipeline("pred", rows)
        assert predicted.job_id is None  # run by the server itself
        assert predicted.value == classes
    finally:
        pool.stop_workers(timeout=10)
        app.op_store_client.close()


# -- 2. two servers, one database -----------------------------------------------------------------


def test_two_servers_on_one_database_answer_for_the_same_jobs(
    processes: Processes, queue_pool: EmbeddedWorkerPool
) -> None:
    server_a, server_b = processes.serve("server-a"), processes.serve("server-b")
    worker = processes.worker("worker")
    a = PipelinesClient(processes.url_of(server_a), timeout=30)
    b = PipelinesClient(processes.url_of(server_b), timeout=30)
    listening(queue_pool, 1)

    # a job queued through A (held back by its delay) is cancelled through B: it leaves the
    # queue and never runs
    queued = a.call_pipeline("add_one", 1, use_worker=True, job_options=JobOptions(delay=3600))
    assert queued.job_id is not None
    assert b.get_job(queued.job_id).status is JobStatus.queued
    assert len(queue_pool.message_queue) == 1
    cancelled = b.cancel_job(queued.job_id)
    assert cancelled.status is JobStatus.cancelled
    assert a.get_job(queued.job_id).status is JobStatus.cancelled
    assert len(queue_pool.message_queue) == 0

    # a job submitted through A is waited for through B
    submitted = a.call_pipeline("add_one", 41, use_worker=True)
    assert submitted.job_id is not None
    done = b.wait_for_job(submitted.job_id, timeout=30)
    assert (done.job_status, done.value) == (JobStatus.done, 42)
    assert a.fetch_job(submitted.job_id).value == 42

    # a running job submitted through A is cancelled through B, at its next node
    spec, release = hold_input(processes.folder, value=1)
    held = a.call_pipeline("hold", spec, use_worker=True)
    assert held.job_id is not None
    job_id = held.job_id
    eventually(lambda: b.get_job(job_id).progress == (1, 3), what="the job held")
    asked = b.cancel_job(job_id)
    assert (asked.status, asked.cancel_requested) == (JobStatus.running, True)
    release.touch()
    stopped = a.get_job(job_id, timeout=30)
    assert stopped.status is JobStatus.cancelled
    assert stopped.worker_id is not None
    assert f":{worker.pid}:" in stopped.worker_id

    listed = {job.id: job.status for job in b.list_jobs()}
    assert listed == {
        queued.job_id: JobStatus.cancelled,
        submitted.job_id: JobStatus.done,
        job_id: JobStatus.cancelled,
    }
    assert a.get_job(queued.job_id).attempts == 0


# -- 3. a worker killed mid-job -------------------------------------------------------------------


def test_the_job_of_a_killed_worker_is_lost_within_the_heartbeat_timeout(
    processes: Processes, queue_pool: EmbeddedWorkerPool, local_app: PipelinesServer
) -> None:
    worker = processes.worker("worker")
    listening(queue_pool, 1)
    spec, _never_released = hold_input(processes.folder, value=1)
    submitted = TestPipelinesClient(local_app).call_pipeline("hold", spec, use_worker=True)
    assert submitted.job_id is not None
    held_by(local_app, submitted.job_id, worker)

    processes.kill(worker)
    killed_at = time.monotonic()
    lost = local_app.wait_for_job(submitted.job_id, timeout=HEARTBEAT_TIMEOUT * 5)
    assert lost.status is JobStatus.lost
    assert time.monotonic() - killed_at < HEARTBEAT_TIMEOUT + READ_SLACK
    assert lost.attempts == 1
    assert lost.finished_at is not None
    assert queue_pool.n_workers == 0


def test_the_job_of_a_killed_worker_is_run_again_by_another_worker(
    processes: Processes, queue_pool: EmbeddedWorkerPool, local_app: PipelinesServer
) -> None:
    workers = [processes.worker("worker-1"), processes.worker("worker-2")]
    listening(queue_pool, 2)
    spec, release = hold_input(processes.folder, value=41)
    submitted = TestPipelinesClient(local_app).call_pipeline(
        "hold", spec, use_worker=True, job_options=JobOptions(retries=1)
    )
    assert submitted.job_id is not None
    job_id = submitted.job_id
    running = eventually(lambda: local_app.get_job(job_id).worker_id, what="the job taken")
    first = next(worker for worker in workers if f":{worker.pid}:" in running)
    second = next(worker for worker in workers if worker is not first)
    held_by(local_app, job_id, first)

    processes.kill(first)
    release.touch()  # the run on the second worker goes straight through

    seen: list[JobStatus] = []

    def done() -> Job | None:
        job = local_app.get_job(job_id)
        seen.append(job.status)
        return job if job.status.is_finished else None

    final = eventually(done, timeout=30, what="the job run again and finished")
    # a job that will run again is never reported finished before it does
    assert (final.status, final.result, final.attempts) == (JobStatus.done, 42, 2), seen
    assert JobStatus.lost not in seen
    assert final.worker_id is not None
    assert f":{second.pid}:" in final.worker_id
    eventually(lambda: len(queue_pool.message_queue) == 0, what="the message removed")
    listening(queue_pool, 1)


def test_a_worker_stopped_with_sigterm_finishes_the_job_in_hand(
    processes: Processes, queue_pool: EmbeddedWorkerPool, local_app: PipelinesServer
) -> None:
    # in process mode the command watches over a worker process, which forks a work horse
    worker = processes.worker("worker", pool="embedded://?mode=process")
    listening(queue_pool, 1)
    spec, release = hold_input(processes.folder, value=1)
    submitted = TestPipelinesClient(local_app).call_pipeline("hold", spec, use_worker=True)
    assert submitted.job_id is not None
    held = held_by(local_app, submitted.job_id, worker=None)
    assert f":{worker.pid}:" not in (held.worker_id or "")

    worker.process.terminate()
    assert local_app.wait_for_job(submitted.job_id, timeout=0.5).status is JobStatus.running
    release.touch()
    assert worker.process.wait(timeout=30) == 0, worker.output()
    done = local_app.get_job(submitted.job_id)
    assert (done.status, done.result, done.attempts) == (JobStatus.done, 2, 1)
    assert "process mode" in worker.output()
    assert "worker stopped" in worker.output()
    assert queue_pool.n_workers == 0


def test_a_dead_worker_process_is_replaced_and_its_death_logged(
    processes: Processes, queue_pool: EmbeddedWorkerPool, local_app: PipelinesServer
) -> None:
    worker = processes.worker("worker", pool="embedded://?mode=process")
    listening(queue_pool, 1)
    (first,) = descendants(worker.pid)

    os.kill(first, signal.SIGKILL)

    eventually(
        lambda: "died (killed by SIGKILL); starting another" in worker.output(),
        what="the death logged",
    )
    replacement = eventually(
        lambda: [pid for pid in descendants(worker.pid) if pid != first] or None,
        what="a new worker process",
    )
    job = local_app.submit_job("add_one", 1)
    done = local_app.wait_for_job(job.id, timeout=60)
    assert (done.status, done.result) == (JobStatus.done, 2), done.error
    assert any(f":{pid}:" in (done.worker_id or "") for pid in replacement)
    assert worker.process.poll() is None, worker.output()
    worker.process.terminate()
    assert worker.process.wait(timeout=30) == 0, worker.output()
