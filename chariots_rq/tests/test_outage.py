"""A Redis outage, the kit's suite (:class:`RedisOutageTests`): an RQ worker (``chariots
worker``) whose Redis goes away waits for it, saying so, and goes on running jobs once it is
back; a stop asked during the outage still ends it cleanly. RQ retries by itself while it waits
for a job, and quits on a lost connection at any other moment (its heartbeat after a job, its
maintenance): chariots then runs its loop again once Redis answers
(:func:`chariots_core.workers.kit.run_through_outages`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.conformance import RedisOutageTests
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_core.testing.processes import CommandProcess
from chariots_core.testing.services import RedisServer

#: what the worker logs while Redis is away: RQ's words (waiting for a job), or chariots'
WAITING = ("could not connect to Redis instance", "does not answer: trying again")


class TestRedisOutage(RedisOutageTests):
    @pytest.fixture
    def outage_pool_url(self, broker_control: RedisServer) -> str:
        return f"rq://127.0.0.1:{broker_control.port}/0?" + urlencode({"worker_ttl": 30})

    def worker_waits_for_broker(self, output: str) -> bool:
        return any(line in output for line in WAITING)

    def test_a_worker_whose_loop_redis_broke_runs_it_again_once_redis_is_back(
        self,
        broker_control: RedisServer,
        outage_app: PipelinesServer,
        outage_worker: CommandProcess,
        tmp_path: Path,
    ) -> None:
        """Redis goes away while the worker runs a job: RQ's loop quits after it (its heartbeat
        fails), and chariots runs the loop again once Redis answers."""
        pid_file = tmp_path / "job.pid"
        outage_app.submit_job("sleep", {"seconds": 3, "pid_file": str(pid_file)})
        eventually(pid_file.exists, what="the job started")

        broker_control.stop()  # while the job runs
        worker = outage_worker
        eventually(lambda: "does not answer" in worker.output, what="chariots waiting for Redis")
        broker_control.start()

        eventually(lambda: "answers again: going on" in worker.output, what="the loop run again")
        after = outage_app.wait_for_job(outage_app.submit_job("add_one", 2).id, DEADLINE)
        assert (after.status, after.result) == (JobStatus.done, 3)
        assert outage_worker.terminate() == 0, outage_worker.output
