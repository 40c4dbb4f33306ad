"""Whoever can write to the queue can send a Dramatiq message naming any actor: chariots'
Dramatiq workers run chariots' actor and nothing else (an unknown actor's message is refused),
and a forged chariots message for a real job is refused by the runtime; the worker goes on."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import dramatiq
import pytest
from dramatiq_test_support import FAST

from chariots_core.jobs import JobMessage
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.pool_app import assert_only_the_genuine_job_ran
from chariots_dramatiq import DramatiqWorkerPool


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_forged_messages_run_nothing_and_the_worker_goes_on(
    broker: str,
    request: pytest.FixtureRequest,
    make_pool: Callable[[str], DramatiqWorkerPool],
    make_app: Callable[..., PipelinesServer],
    tmp_path: Path,
) -> None:
    pool = make_pool(request.getfixturevalue(f"{broker}_url")(**FAST))
    app = make_app(pool)
    marker = tmp_path / "forged-code-ran"
    for actor_name in ("system", "os.system", "exec"):  # actors no chariots worker has
        pool.broker.enqueue(
            dramatiq.Message(
                queue_name=pool.queue,
                actor_name=actor_name,
                args=(f"touch {marker}",),
                kwargs={},
                options={},
            )
        )
    queued = app.submit_job("add_one", 1)
    genuine_text = JobMessage(queued.id, app.name, "add_one", 1).to_json()
    forged = dataclasses.replace(JobMessage.from_json(genuine_text), pipeline="sleep")
    pool.send(forged.to_json(), 0, 0.0)  # chariots' actor, a forged message for a real job
    pool.start_workers(1)

    assert_only_the_genuine_job_ran(app, queued.id, marker)
