"""Pipelines and the app of chariots-dramatiq's tests.

Importable by name in the test process and in worker subprocesses (``chariots worker --app
dramatiq_test_app:app``), configured by the environment: ``CHARIOTS_DRAMATIQ_TEST_STORE`` (the op
store's folder), ``CHARIOTS_DRAMATIQ_TEST_APP`` (the app's name), ``CHARIOTS_DRAMATIQ_TEST_POOL``
(the pool's URL), ``CHARIOTS_DRAMATIQ_TEST_HEARTBEAT_TIMEOUT``.

- ``add_one``: its input plus one;
- ``sleep``: ``{"seconds": s, "pid_file": path, "runs": path, "first_run_only": bool}`` writes the
  pid of the process running it and counts its runs in files, then sleeps (on its first run only,
  if asked) and returns the run count.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestOpStoreClient
from chariots_core.workers import BaseWorkerPool

ENV = "CHARIOTS_DRAMATIQ_TEST_"


class AddOne(BaseOp):
    def execute(self, number: int) -> int:
        return number + 1


def _write(path: Path, text: str) -> None:
    """Write ``text`` whole (beside, then renamed): a test polling for the file never reads it
    empty."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    os.replace(partial, path)


class Sleep(BaseOp):
    def execute(self, spec: dict[str, Any]) -> int:
        runs = 1
        if spec.get("runs"):
            counter = Path(spec["runs"])
            runs = int(counter.read_text()) + 1 if counter.exists() else 1
            _write(counter, str(runs))
        if spec.get("pid_file"):
            _write(Path(spec["pid_file"]), str(os.getpid()))
        if runs == 1 or not spec.get("first_run_only"):
            time.sleep(float(spec["seconds"]))
        return runs


def _single(name: str, op: BaseOp) -> Pipeline:
    return Pipeline(
        [Node(op, input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")], name
    )


def make_app(
    store: str | os.PathLike[str],
    name: str,
    pool: BaseWorkerPool | str,
    heartbeat_timeout: float = 30.0,
) -> PipelinesServer:
    """The test app: its op store (and job store) in the folder ``store``."""
    return PipelinesServer(
        [_single("add_one", AddOne()), _single("sleep", Sleep())],
        op_store_client=TestOpStoreClient(store),
        import_name=name,
        worker_pool=pool,
        heartbeat_timeout=heartbeat_timeout,
    )


def app_from_environment(pool: BaseWorkerPool | str | None = None) -> PipelinesServer:
    """The app the environment describes (on ``pool``, else on the environment's URL)."""
    return make_app(
        os.environ[f"{ENV}STORE"],
        os.environ[f"{ENV}APP"],
        pool if pool is not None else os.environ[f"{ENV}POOL"],
        float(os.environ.get(f"{ENV}HEARTBEAT_TIMEOUT", "30")),
    )


_app: PipelinesServer | None = None


def __getattr__(name: str) -> Any:
    """``app``: the app the environment describes, built on first use."""
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = app_from_environment()
    return _app
