"""The app of a worker pool's own tests: small ops, their pipelines, and the same app built in
the test process and in the worker processes a test starts.

Pipelines (:func:`pool_app_pipelines`), one node each:

- ``add_one``: its input plus one; ``is_odd``: whether its input is odd;
- ``sleep``: ``{"seconds": s, "pid_file": path, "runs": path, "first_run_only": bool}`` counts
  its runs in the file ``runs``, then writes the pid of the process running it to ``pid_file``
  (so a test that sees the pid sees the run counted), then sleeps (on its first run only, if
  asked) and returns the run count;
- ``fails_first``: ``{"counter": path, "failures": n}`` fails its first ``n`` runs
  (``RuntimeError("run <k> fails")``), then returns the run count;
- ``explode``: always raises ``ValueError("exploded on <input>")``.

:class:`PoolApps` (the ``chariots_pool_apps`` fixture) builds the app under a name of its own,
its stores in the test's folder, and starts ``chariots worker --app
chariots_core.testing.pool_app:app`` processes that build the same app: the environment names
its folder, name, pool and heartbeat timeout (``CHARIOTS_POOL_APP_*``), and optionally the
``module:function`` giving its pipelines (a plugin adding pipelines of its own).
"""

from __future__ import annotations

import importlib
import os
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing._op_store_client import TestOpStoreClient
from chariots_core.testing.doc_ops import AddOneOp, IsOddOp
from chariots_core.testing.processes import CommandProcess, Processes, command_environment

if TYPE_CHECKING:
    from chariots_core.workers import BaseWorkerPool

__all__ = [
    "APP_PATH",
    "Explode",
    "FailsFirst",
    "OpenPools",
    "PoolApps",
    "Sleep",
    "app_from_environment",
    "assert_only_the_genuine_job_ran",
    "build_pool_app",
    "pool_app_pipelines",
    "single_node",
    "write_whole",
]

#: the app, as ``chariots worker --app`` names it
APP_PATH = "chariots_core.testing.pool_app:app"
#: the environment of a process building the app: its stores' folder, name, pool, heartbeat
#: timeout, and (optional) the ``module:function`` returning its pipelines
STORE_ENV = "CHARIOTS_POOL_APP_STORE"
NAME_ENV = "CHARIOTS_POOL_APP_NAME"
POOL_ENV = "CHARIOTS_POOL_APP_POOL"
HEARTBEAT_TIMEOUT_ENV = "CHARIOTS_POOL_APP_HEARTBEAT_TIMEOUT"
PIPELINES_ENV = "CHARIOTS_POOL_APP_PIPELINES"
#: the pipelines of the app unless a plugin names others
DEFAULT_PIPELINES = "chariots_core.testing.pool_app:pool_app_pipelines"


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` whole or not at all (beside, then renamed): a test polling for the file
    never reads it empty."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def _count_run(counter: str | None) -> int:
    if not counter:
        return 1
    path = Path(counter)
    runs = int(path.read_text()) + 1 if path.exists() else 1
    write_whole(path, str(runs))
    return runs


class Sleep(BaseOp):
    """Counts its run, writes its pid, sleeps (see the module's ``sleep`` pipeline)."""

    def execute(self, spec: dict[str, Any]) -> int:
        runs = _count_run(spec.get("runs"))
        if spec.get("pid_file"):
            write_whole(Path(spec["pid_file"]), str(os.getpid()))
        if runs == 1 or not spec.get("first_run_only"):
            time.sleep(float(spec["seconds"]))
        return runs


class FailsFirst(BaseOp):
    """Fails its first ``failures`` runs, then returns the run count."""

    def execute(self, spec: dict[str, Any]) -> int:
        runs = _count_run(spec["counter"])
        if runs <= int(spec["failures"]):
            raise RuntimeError(f"run {runs} fails")
        return runs


class Explode(BaseOp):
    """Always raises ``ValueError``."""

    def execute(self, value: Any) -> Any:
        raise ValueError(f"exploded on {value!r}")


def single_node(name: str, op: BaseOp) -> Pipeline:
    """A pipeline named ``name`` running ``op`` on its input."""
    node = Node(op, input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")
    return Pipeline([node], name)


def pool_app_pipelines() -> list[Pipeline]:
    """New objects for the app's pipelines (see the module's docstring)."""
    return [
        single_node("add_one", AddOneOp()),
        single_node("is_odd", IsOddOp()),
        single_node("sleep", Sleep()),
        single_node("fails_first", FailsFirst()),
        single_node("explode", Explode()),
    ]


def _pipelines_of(path: str) -> list[Pipeline]:
    module, _, name = path.partition(":")
    factory: Callable[[], list[Pipeline]] = getattr(importlib.import_module(module), name)
    return factory()


def build_pool_app(
    store: str | os.PathLike[str],
    name: str,
    pool: BaseWorkerPool | str | None,
    heartbeat_timeout: float = 30.0,
    *,
    pipelines: str = DEFAULT_PIPELINES,
) -> PipelinesServer:
    """The app named ``name``, its op store (and job store) in the folder ``store``, on
    ``pool``; ``pipelines`` is the ``module:function`` returning its pipelines."""
    return PipelinesServer(
        _pipelines_of(pipelines),
        op_store_client=TestOpStoreClient(store),
        import_name=name,
        worker_pool=pool,
        heartbeat_timeout=heartbeat_timeout,
    )


def app_from_environment(pool: BaseWorkerPool | str | None = None) -> PipelinesServer:
    """The app the environment describes (``CHARIOTS_POOL_APP_*``), on ``pool`` if given (a
    team's own worker command building the app on its broker), else on the environment's."""
    return build_pool_app(
        os.environ[STORE_ENV],
        os.environ[NAME_ENV],
        pool if pool is not None else os.environ[POOL_ENV],
        float(os.environ.get(HEARTBEAT_TIMEOUT_ENV, "30")),
        pipelines=os.environ.get(PIPELINES_ENV) or DEFAULT_PIPELINES,
    )


class PoolApps:
    """The apps of one test and their worker processes.

    ``make(pool)`` builds the app under a name of its own (its stores in ``folder/store``);
    ``worker(app, pool_url)`` starts ``chariots worker`` on it; ``environment(app, pool_url)``
    is the environment of any other command that builds it (a team's own worker command).
    ``pipelines`` names the ``module:function`` giving the app's pipelines, found in worker
    processes through ``pythonpath`` (the folders put first on their ``PYTHONPATH``).
    """

    def __init__(
        self,
        folder: Path,
        processes: Processes,
        *,
        pipelines: str = DEFAULT_PIPELINES,
        pythonpath: Sequence[str | os.PathLike[str]] = (),
        prefix: str = "pool_test_app",
    ) -> None:
        self.store = folder / "store"
        self.processes = processes
        self.pipelines = pipelines
        self.pythonpath = list(pythonpath)
        self.prefix = prefix
        self.made: list[PipelinesServer] = []

    def make(
        self, pool: BaseWorkerPool | str | None, heartbeat_timeout: float = 30.0
    ) -> PipelinesServer:
        """A new app on ``pool`` (``heartbeat_timeout``: of its job store)."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        app = build_pool_app(self.store, name, pool, heartbeat_timeout, pipelines=self.pipelines)
        self.made.append(app)
        return app

    def environment(
        self, app: PipelinesServer, pool_url: str, heartbeat_timeout: float = 30.0, **more: str
    ) -> dict[str, str]:
        """The environment of a process building ``app`` on ``pool_url`` (``more``: other
        variables, ``NAME=value``)."""
        settings = {
            STORE_ENV: str(self.store),
            NAME_ENV: app.name,
            POOL_ENV: pool_url,
            HEARTBEAT_TIMEOUT_ENV: str(heartbeat_timeout),
            PIPELINES_ENV: self.pipelines,
            **more,
        }
        return command_environment(settings, pythonpath=self.pythonpath)

    def worker(
        self,
        app: PipelinesServer,
        pool_url: str,
        concurrency: int = 1,
        heartbeat_timeout: float = 30.0,
        *,
        app_path: str = APP_PATH,
    ) -> CommandProcess:
        """``chariots worker --app <app_path> --pool <pool_url> --concurrency N`` building
        ``app``; killed at the end of the test if it still runs."""
        args = ["worker", "--app", app_path, "--pool", pool_url, "--concurrency", str(concurrency)]
        return self.processes.start(
            "chariots", args, self.environment(app, pool_url, heartbeat_timeout)
        )

    def app_and_worker(
        self,
        pool: BaseWorkerPool,
        pool_url: str,
        concurrency: int = 1,
        heartbeat_timeout: float = 30.0,
        *,
        app_heartbeat_timeout: float | None = None,
        counted: int | None = None,
    ) -> tuple[PipelinesServer, CommandProcess]:
        """A new app on ``pool`` and :meth:`worker` for it on ``pool_url``, once ``pool`` counts
        the worker's workers (``counted``, else ``concurrency``); the app's job store has the
        worker's ``heartbeat_timeout`` unless ``app_heartbeat_timeout`` is given."""
        app = self.make(
            pool, heartbeat_timeout if app_heartbeat_timeout is None else app_heartbeat_timeout
        )
        worker = self.worker(app, pool_url, concurrency, heartbeat_timeout)
        worker.wait_for_workers(pool, concurrency if counted is None else counted)
        return app, worker


def __getattr__(name: str) -> Any:
    """``app``: the app the environment describes, built once per process."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    app = app_from_environment()
    globals()["app"] = app
    return app


P = TypeVar("P", bound="BaseWorkerPool")


class OpenPools:
    """The pools one test opens, closed (their workers stopped) at its end: call it with a pool
    (returned as it is) or a URL or backend name (built with ``get_worker_pool``)."""

    def __init__(self) -> None:
        self.opened: list[BaseWorkerPool] = []

    @overload
    def __call__(self, pool: P) -> P: ...

    @overload
    def __call__(self, pool: str) -> BaseWorkerPool: ...

    def __call__(self, pool: BaseWorkerPool | str) -> BaseWorkerPool:
        if isinstance(pool, str):
            from chariots_core.workers import get_worker_pool

            pool = get_worker_pool(pool)
        self.opened.append(pool)
        return pool

    def close_all(self) -> None:
        """Close every pool, the last opened first."""
        while self.opened:
            self.opened.pop().close()


def assert_only_the_genuine_job_ran(app: PipelinesServer, job_id: str, marker: Path) -> None:
    """After forged messages were sent beside the genuine job ``job_id`` (``add_one`` of 1), and
    a worker started: the genuine job ran once (to 2), the worker goes on (a next job runs), and
    the forged code never ran (it would have created ``marker``)."""
    from chariots_core.jobs import JobStatus
    from chariots_core.testing.polling import DEADLINE

    done = app.wait_for_job(job_id, timeout=DEADLINE)
    after = app.wait_for_job(app.submit_job("add_one", 41).id, timeout=DEADLINE)

    assert (done.status, done.result, done.attempts) == (JobStatus.done, 2, 1), done.error
    assert (after.status, after.result) == (JobStatus.done, 42), after.error
    assert not marker.exists(), "a forged message ran its code"
