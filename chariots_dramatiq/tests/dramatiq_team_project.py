"""A team's own Dramatiq project, as ``dramatiq dramatiq_team_project`` imports it: its broker
(``CHARIOTS_DRAMATIQ_TEST_BROKER``, a Redis URL), an actor of its own, and the chariots app built
on that broker (the pool's ``fork`` from ``CHARIOTS_DRAMATIQ_TEST_FORK``; the app as
``dramatiq_test_app`` describes it)."""

from __future__ import annotations

import os
from pathlib import Path

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq_test_app import ENV, app_from_environment

from chariots_dramatiq import DramatiqWorkerPool

broker = RedisBroker(url=os.environ[f"{ENV}BROKER"])  # type: ignore[no-untyped-call]
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name=os.environ[f"{ENV}QUEUE"], actor_name="team_task")
def team_task(path: str) -> None:
    """The team's own work, beside chariots jobs."""
    Path(path).write_text(str(os.getpid()))


fork = os.environ.get(f"{ENV}FORK", "false") == "true"
pool = DramatiqWorkerPool(broker=broker, queue=os.environ[f"{ENV}QUEUE"], fork=fork)
app = app_from_environment(pool)
