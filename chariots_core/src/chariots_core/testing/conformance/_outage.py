"""`BrokerOutageTests`: a ``chariots worker`` whose broker goes away and comes back, proven once
for all.

A plugin's test file subclasses it and gives it a broker it may stop and start again (the
``broker_control`` fixture: a :class:`BrokerControl`, such as the kit's private
:class:`~chariots_core.testing.services.RedisServer`), the URL of a pool on that broker
(``outage_pool_url``), and how its worker's output shows that it waits for the broker
(:meth:`BrokerOutageTests.worker_waits_for_broker`). The tests start ``chariots worker`` on the
pool tests' app (``chariots_pool_apps``), run a first job, then stop the broker: the worker
must wait for it, saying so, go on running jobs once it is back (an empty broker, as one
restarted without persistence), finish the job it was running, and end cleanly on SIGTERM
during the outage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from chariots_core.jobs import JobStatus
from chariots_core.pipelines import PipelinesServer
from chariots_core.testing.polling import DEADLINE, eventually
from chariots_core.testing.pool_app import OpenPools, PoolApps
from chariots_core.testing.processes import CommandProcess
from chariots_core.testing.services import RedisServer
from chariots_core.workers import BaseWorkerPool

__all__ = ["BrokerControl", "BrokerOutageTests", "RedisOutageTests"]


class BrokerControl(Protocol):
    """A broker a test may stop and start again, at the same address."""

    def stop(self) -> None:
        """Stop the broker (its connections break; nothing answers at its address)."""

    def start(self) -> object:
        """Start it again at the same address (empty, as after a restart)."""


class BrokerOutageTests:
    """The broker-outage tests of a pool.

    Subclass it and give it the broker::

        class TestOutage(BrokerOutageTests):
            @pytest.fixture
            def broker_control(self):
                server = RedisServer().start()
                yield server
                server.stop()

            @pytest.fixture
            def outage_pool_url(self, broker_control, chariots_queue):
                return chariots_queue.url(f"mq://127.0.0.1:{broker_control.port}/0")

            def worker_waits_for_broker(self, output: str) -> bool:
                return "broker unreachable, retrying" in output
    """

    # -- what a plugin provides ----------------------------------------------------------------

    @pytest.fixture
    def broker_control(self) -> BrokerControl:
        """The broker, started; the test stops and starts it. No default: provide it."""
        pytest.fail(
            f"{type(self).__name__} must define a `broker_control` fixture: a broker of the "
            "test's own that it may stop() and start() again at the same address",
            pytrace=False,
        )

    @pytest.fixture
    def outage_pool_url(self, broker_control: BrokerControl) -> str:
        """The URL of a pool on ``broker_control``'s broker. No default: provide it."""
        pytest.fail(
            f"{type(self).__name__} must define an `outage_pool_url` fixture: the URL of a pool "
            "on the broker of `broker_control`",
            pytrace=False,
        )

    def worker_waits_for_broker(self, output: str) -> bool:
        """Whether the worker's ``output`` shows it waiting for its broker. Override it."""
        pytest.fail(
            f"{type(self).__name__} must define `worker_waits_for_broker(output)`: whether a "
            "worker's output shows it waiting for its broker",
            pytrace=False,
        )

    # -- the pool, the app and the worker --------------------------------------------------------

    @pytest.fixture
    def outage_pool(self, outage_pool_url: str, chariots_pools: OpenPools) -> BaseWorkerPool:
        """The pool of ``outage_pool_url``, closed at the end."""
        return chariots_pools(outage_pool_url)

    @pytest.fixture
    def outage_app(
        self, outage_pool: BaseWorkerPool, chariots_pool_apps: PoolApps
    ) -> PipelinesServer:
        """The pool tests' app on ``outage_pool``."""
        return chariots_pool_apps.make(outage_pool)

    @pytest.fixture
    def outage_worker(
        self,
        outage_app: PipelinesServer,
        outage_pool: BaseWorkerPool,
        outage_pool_url: str,
        chariots_pool_apps: PoolApps,
    ) -> Iterator[CommandProcess]:
        """``chariots worker`` on the pool, once it listens and has run a first job."""
        worker = chariots_pool_apps.worker(outage_app, outage_pool_url)
        worker.wait_for_workers(outage_pool, 1)
        first = outage_app.wait_for_job(outage_app.submit_job("add_one", 1).id, DEADLINE)
        assert (first.status, first.result) == (JobStatus.done, 2), worker.output
        yield worker
        worker.kill()

    def wait_until_waiting(self, worker: CommandProcess) -> None:
        """Wait until the worker says it waits for its broker (it must not exit)."""
        eventually(
            lambda: self.worker_waits_for_broker(worker.output) or not worker.running(),
            what="the worker waiting for its broker",
        )
        assert worker.running(), f"the worker exited on the outage:\n{worker.output}"

    # -- the tests -----------------------------------------------------------------------------

    def test_a_worker_rides_out_a_broker_restart(
        self,
        broker_control: BrokerControl,
        outage_app: PipelinesServer,
        outage_worker: CommandProcess,
    ) -> None:
        broker_control.stop()
        self.wait_until_waiting(outage_worker)
        broker_control.start()  # empty, at the same address: restarted without persistence

        second = outage_app.wait_for_job(outage_app.submit_job("add_one", 2).id, DEADLINE)
        assert (second.status, second.result) == (JobStatus.done, 3), outage_worker.output
        assert outage_worker.running(), outage_worker.output
        assert outage_worker.terminate() == 0, outage_worker.output

    def test_a_job_running_while_the_broker_goes_away_ends_done_and_the_worker_goes_on(
        self,
        broker_control: BrokerControl,
        outage_app: PipelinesServer,
        outage_worker: CommandProcess,
        tmp_path: Path,
    ) -> None:
        pid_file, runs = tmp_path / "job.pid", tmp_path / "runs"
        spec = {"seconds": 3, "pid_file": str(pid_file), "runs": str(runs)}
        job = outage_app.submit_job("sleep", spec)
        eventually(pid_file.exists, what="the job started")

        broker_control.stop()  # while the job runs
        self.wait_until_waiting(outage_worker)
        broker_control.start()

        done = outage_app.wait_for_job(job.id, DEADLINE)
        assert (done.status, done.attempts, done.result) == (JobStatus.done, 1, 1), (
            outage_worker.output
        )
        after = outage_app.wait_for_job(outage_app.submit_job("add_one", 2).id, DEADLINE)
        assert (after.status, after.result) == (JobStatus.done, 3), outage_worker.output
        assert runs.read_text() == "1"
        assert outage_worker.running(), outage_worker.output
        assert outage_worker.terminate() == 0, outage_worker.output

    def test_a_stop_during_an_outage_ends_the_worker(
        self, broker_control: BrokerControl, outage_worker: CommandProcess
    ) -> None:
        broker_control.stop()
        self.wait_until_waiting(outage_worker)

        assert outage_worker.terminate() == 0, outage_worker.output


class RedisOutageTests(BrokerOutageTests):
    """:class:`BrokerOutageTests` on a Redis of each test's own (``broker_control``: a private
    :class:`~chariots_core.testing.services.RedisServer`, stopped at the end): give it
    ``outage_pool_url`` (on ``127.0.0.1:<broker_control.port>``) and
    ``worker_waits_for_broker``."""

    @pytest.fixture
    def broker_control(self) -> Iterator[RedisServer]:
        """A private Redis, started; its ``port`` stays the same across stops and starts."""
        server = RedisServer().start()
        try:
            yield server
        finally:
            server.stop()
