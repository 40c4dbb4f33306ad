"""A Redis outage, the kit's suite (:class:`RedisOutageTests`): a Celery worker (``chariots
worker``) whose Redis goes away waits for it, saying so, and goes on running jobs once it is
back (Celery's consumer reconnects by itself, ``broker_connection_retry``); a stop asked during
the outage still ends it cleanly. And a team's application that bounds its retries makes the
worker exit non-zero."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chariots_celery import CeleryWorkerPool
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.conformance import RedisOutageTests
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_core.testing.pool_app import PoolApps
from chariots_core.testing.processes import Processes
from chariots_core.testing.queues import TestQueue
from chariots_core.testing.services import RedisServer

#: what Celery's consumer logs when it lost its broker, and while it cannot reach it
LOST, WAITING = "Connection to broker lost", "Cannot connect to redis://"


class TestRedisOutage(RedisOutageTests):
    @pytest.fixture
    def outage_pool_url(self, broker_control: RedisServer, chariots_queue: TestQueue) -> str:
        return chariots_queue.url(f"celery+redis://127.0.0.1:{broker_control.port}/0")

    def worker_waits_for_broker(self, output: str) -> bool:
        return LOST in output and WAITING in output

    def test_a_worker_whose_celery_app_gives_up_on_its_broker_exits_non_zero(
        self,
        broker_control: RedisServer,
        outage_pool: CeleryWorkerPool,
        outage_pool_url: str,
        outage_app: PipelinesServer,
        chariots_pool_apps: PoolApps,
        chariots_processes: Processes,
        tmp_path: Path,
    ) -> None:
        """The pool's own application waits for its broker for as long as it takes; a team's
        may bound its retries (``broker_connection_max_retries``): past them, ``chariots
        worker`` exits non-zero, saying why, so that a service manager starts it again."""
        (tmp_path / "bounded_retries.py").write_text(
            "from chariots_core.testing.pool_app import app\n"
            "app.worker_pool.celery_app.conf.broker_connection_max_retries = 1\n"
        )
        env = chariots_pool_apps.environment(outage_app, outage_pool_url)
        env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
        worker = chariots_processes.start(
            "chariots", ["worker", "--app", "bounded_retries:app"], env
        )
        eventually(lambda: outage_pool.n_workers == 1, what="the worker consumes")

        broker_control.stop()

        assert worker.wait(DEADLINE) == 1, worker.output
        assert "Error: the Celery worker gave up" in worker.output
