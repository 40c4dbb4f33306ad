"""``chariots worker``: a pool's worker in the foreground, stopped gracefully by SIGTERM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chariots_core.jobs import JobStatus
from chariots_core.workers import load_app

#: as long as a job may take to be picked up and run
DEADLINE_SECONDS = 120.0


def test_worker_runs_the_pool_given_and_stops_on_sigterm(chariots: Any) -> None:
    worker = chariots.start(
        "worker",
        "--app",
        "chariots_test_app:app",
        "--pool",
        "dummy+redis://queue/0",
        "--concurrency",
        "3",
    )
    output = worker.wait_for("dummy worker ready for app chariots_test_app, concurrency 3\n")
    assert (
        "worker for app 'chariots_test_app' on dummy pool dummy+redis://queue/0, concurrency 3"
    ) in output

    assert worker.terminate() == 0, worker.output
    assert worker.output.endswith("dummy worker stopped gracefully\nworker stopped\n")
    assert "Traceback" not in worker.output


def test_worker_defaults_to_the_apps_pool_and_the_app_from_the_environment(
    chariots: Any,
) -> None:
    worker = chariots.start("worker", CHARIOTS_APP="chariots_test_app:app")
    output = worker.wait_for("dummy worker ready for app chariots_test_app, concurrency 1\n")
    assert "worker for app 'chariots_test_app' on dummy pool in memory, concurrency 1" in output

    assert worker.terminate() == 0, worker.output
    assert "dummy worker stopped gracefully" in worker.output


def test_worker_runs_the_jobs_of_an_app_on_the_embedded_pool(
    chariots: Any, plugins_folder: Path
) -> None:
    app = load_app("chariots_test_app:embedded_app")
    worker = chariots.start("worker", "--app", "chariots_test_app:embedded_app")
    worker.wait_for("(Ctrl-C to stop)\n")
    try:
        job = app.submit_job("add_one", 41)
        finished = app.wait_for_job(job.id, timeout=DEADLINE_SECONDS)
    finally:
        app.worker_pool.close()

    assert (finished.status, finished.result) == (JobStatus.done, 42), finished.error
    assert worker.terminate() == 0, worker.output
    assert worker.output.endswith("worker stopped\n")


def test_a_worker_whose_processes_keep_dying_exits_1_with_one_line(chariots: Any) -> None:
    result = chariots.run(
        "worker", "--app", "chariots_test_app:app", "--pool", "dummy+redis://dying/0"
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "Error: 3 worker processes in a row died before they were ready: giving up"
    ) in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
