"""Pipelines and the app of chariots-rq's tests.

Importable by name in the test process and in ``chariots worker`` subprocesses (``--app
rq_test_app:app``, configured by the environment: ``CHARIOTS_RQ_TEST_STORE``, the op store's
folder; ``CHARIOTS_RQ_TEST_APP``, the app's name; ``CHARIOTS_RQ_TEST_POOL``, the pool's URL;
``CHARIOTS_RQ_TEST_HEARTBEAT_TIMEOUT``).

- ``add_one``: its input plus one; ``is_odd``: the documentation's ``IsOddOp``;
- ``sleep``: one long node: ``{"seconds": s, "pid_file": path, "runs": path,
  "first_run_only": bool}`` writes the pid of the process running it, counts its runs in a file,
  then sleeps (on its first run only, if asked) and returns the run count;
- ``fails_first``: ``{"counter": path, "failures": n}`` fails its first ``n`` runs, then returns the
  run count;
- ``explode``: always raises ``ValueError``.
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
from chariots_core.testing.doc_ops import IsOddOp
from chariots_core.workers import BaseWorkerPool


class AddOne(BaseOp):
    def execute(self, number: int) -> int:
        return number + 1


def _write(path: Path, text: str) -> None:
    """Write ``text`` whole or not at all (written beside, then renamed): a test polling for the
    file never reads it empty."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def _count_run(counter: str | None) -> int:
    if counter is None:
        return 1
    path = Path(counter)
    runs = int(path.read_text()) + 1 if path.exists() else 1
    _write(path, str(runs))
    return runs


class Sleep(BaseOp):
    def execute(self, spec: dict[str, Any]) -> int:
        if spec.get("pid_file"):
            _write(Path(spec["pid_file"]), str(os.getpid()))
        runs = _count_run(spec.get("runs"))
        if runs == 1 or not spec.get("first_run_only"):
            time.sleep(float(spec["seconds"]))
        return runs


class FailsFirst(BaseOp):
    def execute(self, spec: dict[str, Any]) -> int:
        runs = _count_run(spec["counter"])
        if runs <= int(spec["failures"]):
            raise RuntimeError(f"run {runs} fails")
        return runs


class Explode(BaseOp):
    def execute(self, value: Any) -> Any:
        raise ValueError(f"exploded on {value!r}")


def _single(name: str, op: BaseOp) -> Pipeline:
    return Pipeline(
        [Node(op, input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")], name
    )


def pipelines() -> list[Pipeline]:
    return [
        _single("add_one", AddOne()),
        _single("is_odd", IsOddOp()),
        _single("sleep", Sleep()),
        _single("fails_first", FailsFirst()),
        _single("explode", Explode()),
    ]


def make_app(
    store: str | os.PathLike[str],
    name: str,
    pool: BaseWorkerPool | str,
    heartbeat_timeout: float = 30.0,
) -> PipelinesServer:
    """The test app: its op store (and job store) in the folder ``store``."""
    return PipelinesServer(
        pipelines(),
        op_store_client=TestOpStoreClient(store),
        import_name=name,
        worker_pool=pool,
        heartbeat_timeout=heartbeat_timeout,
    )


_app: PipelinesServer | None = None


def __getattr__(name: str) -> Any:
    """``app``: the app the environment describes, built on first use."""
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = make_app(
            os.environ["CHARIOTS_RQ_TEST_STORE"],
            os.environ["CHARIOTS_RQ_TEST_APP"],
            os.environ["CHARIOTS_RQ_TEST_POOL"],
            float(os.environ.get("CHARIOTS_RQ_TEST_HEARTBEAT_TIMEOUT", "30")),
        )
    return _app
