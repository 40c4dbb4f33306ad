"""A team's own Dramatiq project, as ``dramatiq dramatiq_team_project`` imports it: its broker
(``CHARIOTS_DRAMATIQ_TEAM_BROKER``, a Redis URL), an actor of its own, and the chariots app (the
kit's test app, as the environment describes it) built on that broker (the pool's ``fork`` from
``CHARIOTS_DRAMATIQ_TEAM_FORK``)."""

from __future__ import annotations

import os
from pathlib import Path

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq_test_support import TEAM_BROKER_ENV, TEAM_FORK_ENV, TEAM_QUEUE_ENV

from chariots_core.testing.pool_app import app_from_environment
from chariots_dramatiq import DramatiqWorkerPool

broker = RedisBroker(url=os.environ[TEAM_BROKER_ENV])  # type: ignore[no-untyped-call]
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name=os.environ[TEAM_QUEUE_ENV], actor_name="team_task")
def team_task(path: str) -> None:
    """The team's own work, beside chariots jobs."""
    Path(path).write_text(str(os.getpid()))


fork = os.environ.get(TEAM_FORK_ENV, "false") == "true"
pool = DramatiqWorkerPool(broker=broker, queue=os.environ[TEAM_QUEUE_ENV], fork=fork)
app = app_from_environment(pool)
