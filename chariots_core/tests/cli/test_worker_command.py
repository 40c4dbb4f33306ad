"""``chariots worker``: a pool's worker in the foreground, stopped gracefully by SIGTERM."""

from __future__ import annotations

from typing import Any


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
    output = worker.wait_for("dummy worker ready for app chariots_test_app, concurrency 3")
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
    output = worker.wait_for("dummy worker ready for app chariots_test_app, concurrency 1")
    assert "worker for app 'chariots_test_app' on dummy pool in memory, concurrency 1" in output

    assert worker.terminate() == 0, worker.output
    assert "dummy worker stopped gracefully" in worker.output
