"""Whoever can write to the queue can enqueue an RQ job naming any function: chariots' RQ
workers run chariots' own task and nothing else, refuse the rest (logged, removed), and go on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rq import Callback
from rq.job import Job as RQJob

from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.pool_app import assert_only_the_genuine_job_ran
from chariots_rq import RQWorkerPool


@pytest.mark.parametrize("fork", [True, False], ids=["forking", "simple"])
def test_forged_rq_jobs_run_nothing_and_the_worker_goes_on(
    make_pool: Callable[..., RQWorkerPool],
    make_app: Callable[..., PipelinesServer],
    tmp_path: Path,
    fork: bool,
) -> None:
    pool = make_pool(fork=str(fork).lower())
    app = make_app(pool)
    marker = tmp_path / "forged-code-ran"
    queue = pool.queue_for(0)  # where chariots' jobs of priority 0 go
    forged = [
        queue.enqueue("os.system", f"touch {marker}"),
        queue.enqueue("builtins.exec", f"open({str(marker)!r}, 'w').write('x')"),
        queue.enqueue("subprocess.check_output", ["touch", str(marker)]),
        # chariots' task, but a callback naming other code
        queue.enqueue("chariots_rq.task.run_message", "{}", on_failure=Callback("os.system")),
    ]
    pool.start_workers(1)

    job = app.submit_job("add_one", 1)  # queued after the forged ones: run after them

    assert_only_the_genuine_job_ran(app, job.id, marker)
    for forged_job in forged:
        assert not RQJob.exists(forged_job.id, connection=pool.redis)
    assert pool.n_workers == 1
