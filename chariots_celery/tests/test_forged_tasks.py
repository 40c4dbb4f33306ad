"""Whoever can write to the broker can send a Celery message naming any task: chariots' Celery
workers run chariots' task (and Celery's own built-ins) and nothing else, and a forged chariots
message for a real job is refused by the runtime; the worker goes on."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from chariots_celery import CeleryWorkerPool
from chariots_core.jobs import JobMessage
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.pool_app import assert_only_the_genuine_job_ran


def test_forged_tasks_run_nothing_and_the_worker_goes_on(
    make_pool: Callable[..., CeleryWorkerPool],
    make_app: Callable[..., PipelinesServer],
    tmp_path: Path,
) -> None:
    pool = make_pool()
    app = make_app(pool)
    marker = tmp_path / "forged-code-ran"
    for name in ("os.system", "subprocess.check_output", "builtins.exec"):
        pool.celery_app.send_task(
            name, args=[f"touch {marker}"], queue=pool.queue.name, serializer="json"
        )
    queued = app.submit_job("add_one", 1)
    genuine = JobMessage(queued.id, app.name, "add_one", 1)
    forged = dataclasses.replace(genuine, input=1000)  # chariots' task, another input
    pool.task.apply_async(args=[forged.to_json()], queue=pool.queue.name)
    pool.start_workers(1)

    assert_only_the_genuine_job_ran(app, queued.id, marker)
