"""`ConformanceFixtures`: the fixtures of the suite, on the class a third party subclasses.

Each is a method of the class, so a test class overrides one by defining a fixture of the same
name. Only ``worker_pool`` has no default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from chariots_core.pipelines import PipelinesServer
from chariots_core.testing._op_store_client import TestOpStoreClient
from chariots_core.testing._pipelines_client import TestPipelinesClient
from chariots_core.testing.conformance._command_line import CommandLineWorker
from chariots_core.testing.conformance._harness import Harness
from chariots_core.testing.conformance._kill import KillWorker, kill_worker_process
from chariots_core.testing.conformance._markers import (
    check_known_gaps,
    known_gap_marker,
    missing_capabilities,
    required_capabilities,
    skip_reason,
)
from chariots_core.testing.conformance._recorder import RECORDER
from chariots_core.testing.conformance.app import (
    DEFAULT_HEARTBEAT_TIMEOUT,
    HEARTBEAT_TIMEOUT_ENV,
    HOME_ENV,
    build_app,
)
from chariots_core.workers import BaseWorkerPool, get_worker_pool, register_app, unregister_observer


class ConformanceFixtures:
    """The fixtures and settings of :class:`WorkerPoolConformance`.

    Settings (class attributes a test class may change):

    - ``n_workers`` (2): how many workers the default ``workers`` fixture starts;
    - ``heartbeat_timeout`` (3.0 s): a running job whose worker has not beaten for this long is
      taken for lost;
    - ``job_timeout`` (30.0 s): how long the suite waits for a job before it fails the test;
    - ``known_gaps`` ({}): ``{"test_name": "reason"}``, tests expected to fail (strict xfails).
    """

    n_workers: ClassVar[int] = 2
    heartbeat_timeout: ClassVar[float] = DEFAULT_HEARTBEAT_TIMEOUT
    job_timeout: ClassVar[float] = 30.0
    known_gaps: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        check_known_gaps(cls, cls.known_gaps)

    # -- what a third party provides ---------------------------------------------------------

    @pytest.fixture
    def worker_pool(self) -> BaseWorkerPool:
        """The pool under test, a new instance per test. No default: provide it."""
        pytest.fail(
            f"{type(self).__name__} must define a `worker_pool` fixture returning (or yielding) "
            "a new instance of the worker pool under test",
            pytrace=False,
        )

    @pytest.fixture
    def worker_pool_url(self) -> str | None:
        """A URL (or backend name) that builds another pool on the same queue as
        ``worker_pool``; the default ``second_worker_pool`` uses it. Default: none."""
        return None

    @pytest.fixture
    def second_worker_pool(
        self, worker_pool: BaseWorkerPool, worker_pool_url: str | None
    ) -> Iterator[BaseWorkerPool]:
        """Another instance of the pool, on the same queue (as a second server would build it).
        Default: ``get_worker_pool(worker_pool_url)``; skips when there is no URL."""
        if worker_pool_url is None:
            pytest.skip(
                "no second instance of the pool: give the test class a `worker_pool_url` "
                "fixture (a URL building a pool on the same queue) or a `second_worker_pool` "
                "fixture"
            )
        pool = get_worker_pool(worker_pool_url)
        yield pool
        pool.close()

    @pytest.fixture
    def workers(self, app: PipelinesServer, worker_pool: BaseWorkerPool) -> Iterator[int]:
        """Workers for the test's jobs; its value is how many jobs they run at once.

        Default: ``worker_pool.start_workers(n_workers)``, then ``stop_workers()``. A pool whose
        workers are started otherwise (a command, a container) overrides it, starting them with
        the environment this process has (see ``app_home``).
        """
        worker_pool.start_workers(self.n_workers)
        try:
            yield self.n_workers
        finally:
            worker_pool.stop_workers(timeout=self.job_timeout)

    @pytest.fixture
    def command_line_worker(
        self,
        app: PipelinesServer,
        app_home: Path,
        worker_pool: BaseWorkerPool,
        worker_pool_url: str | None,
    ) -> Iterator[Callable[[int], CommandLineWorker]]:
        """``start(concurrency)``: a ``chariots worker --app <the suite's app> --pool
        <worker_pool_url> --concurrency N`` process (the path production uses: the pool's
        ``run_worker``), returned once ``n_workers`` counts its N workers; stopped (SIGTERM, then
        killed) at the end. Needs ``worker_pool_url``; override it when your workers start
        otherwise (it must then return an object with the same members)."""
        if worker_pool_url is None:
            pytest.fail(
                f"{type(self).__name__} gives no `worker_pool_url`: the suite runs `chariots "
                "worker --pool URL` (the pool's run_worker, as production does) and kills one to "
                "prove `redelivery`. Give the class a `worker_pool_url` fixture (a URL building "
                "the pool on the same queue), or a `command_line_worker` fixture",
                pytrace=False,
            )
        started: list[CommandLineWorker] = []

        def start(concurrency: int = 1) -> CommandLineWorker:
            expected = worker_pool.n_workers + concurrency
            log = app_home / f"chariots-worker-{len(started)}.log"
            worker = CommandLineWorker(worker_pool_url, concurrency, log)
            started.append(worker)
            worker.wait_listening(worker_pool, expected, self.job_timeout)
            return worker

        try:
            yield start
        finally:
            for worker in started:
                worker.terminate()
            for worker in started:
                if worker.wait(self.job_timeout) is None:
                    worker.kill()

    @pytest.fixture
    def kill_worker(self) -> KillWorker:
        """A function that kills the worker running a job, as a crash would. Default: SIGKILL
        its process when it is one this test started; otherwise the test that needs it skips."""
        return kill_worker_process

    # -- the app ---------------------------------------------------------------------------------

    @pytest.fixture
    def app_home(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        """The folder of the suite's app (its op store, job store and files). Sets
        ``$CHARIOTS_CONFORMANCE_HOME`` (and the heartbeat timeout) so that worker processes started
        from the test build the same app (``chariots_core.testing.conformance.app:app``)."""
        home = tmp_path / "conformance_app"
        home.mkdir()
        monkeypatch.setenv(HOME_ENV, str(home))
        monkeypatch.setenv(HEARTBEAT_TIMEOUT_ENV, str(self.heartbeat_timeout))
        return home

    @pytest.fixture
    def op_store_client(self, app_home: Path) -> Iterator[TestOpStoreClient]:
        """The app's op store (SQLite and a folder in ``app_home``; the job store shares its
        database)."""
        client = TestOpStoreClient(app_home / "op_store")
        yield client
        client.close()

    @pytest.fixture
    def app(
        self,
        app_home: Path,
        op_store_client: TestOpStoreClient,
        worker_pool: BaseWorkerPool,
    ) -> Iterator[PipelinesServer]:
        """The suite's :class:`PipelinesServer`, with the pool attached."""
        server = build_app(
            app_home,
            worker_pool,
            op_store_client=op_store_client,
            heartbeat_timeout=self.heartbeat_timeout,
        )
        assert server.worker_pool is worker_pool  # attaches the pool
        try:
            yield server
        finally:
            RECORDER.log = None
            unregister_observer(RECORDER)

    @pytest.fixture
    def client(self, app: PipelinesServer) -> TestPipelinesClient:
        """A client of ``app`` (through Flask's test client: routes, JSON and errors as over
        HTTP)."""
        return TestPipelinesClient(app)

    @pytest.fixture
    def second_app(
        self,
        app: PipelinesServer,
        app_home: Path,
        second_worker_pool: BaseWorkerPool,
    ) -> Iterator[PipelinesServer]:
        """A second server of the same app (same folder, own op store client) on
        ``second_worker_pool``."""
        op_store_client = TestOpStoreClient(app_home / "op_store")
        server = build_app(
            app_home,
            second_worker_pool,
            op_store_client=op_store_client,
            heartbeat_timeout=self.heartbeat_timeout,
        )
        assert server.worker_pool is second_worker_pool
        try:
            yield server
        finally:
            register_app(app)  # the workers of this process run the first app's jobs again
            op_store_client.close()

    @pytest.fixture
    def harness(
        self,
        app: PipelinesServer,
        client: TestPipelinesClient,
        app_home: Path,
        workers: int,
    ) -> Iterator[Harness]:
        """Submit, wait, gates and occupied workers, over ``app`` with ``workers`` running."""
        harness = Harness(app, client, app_home, workers, self.job_timeout)
        try:
            yield harness
        finally:
            harness.open_all_gates()

    # -- gating --------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _chariots_capabilities(
        self, request: pytest.FixtureRequest, worker_pool: BaseWorkerPool
    ) -> None:
        """Skip a test of a capability the pool does not declare; mark a known gap."""
        node = request.node
        missing = missing_capabilities(worker_pool, required_capabilities(node))
        if missing:
            pytest.skip(skip_reason(worker_pool, missing))
        name = getattr(node, "originalname", node.name)
        reason = type(self).known_gaps.get(name)
        if reason is not None and not any(
            marker.kwargs.get("reason", "").startswith("known gap:")
            for marker in node.iter_markers("xfail")
        ):
            node.add_marker(known_gap_marker(reason))
