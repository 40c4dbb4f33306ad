"""Pipelines for the worker tests, importable by worker and server processes.

``hold`` blocks in its second node until the file named in its input appears (polled, with a
deadline), so a test can catch a job while it runs and let it go when it wants.
``fails_first`` fails on its first attempt (counted in a file), ``record`` leaves one marker
file per run, ``explode`` always raises.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

from chariots_core.jobs import DEFAULT_HEARTBEAT_TIMEOUT
from chariots_core.op_store import OpStore
from chariots_core.op_store.savers import FileSaver
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.workers import BaseWorkerPool

#: the longest a held node waits for its release file before failing
HOLD_DEADLINE = 60.0


class AddOne(BaseOp):
    def execute(self, number: int) -> int:
        return number + 1


class Explode(BaseOp):
    def execute(self, value: Any) -> Any:
        raise ValueError(f"exploded on {value!r}")


class Peek(BaseOp):
    """Passes its input on (a node that is done before ``Hold`` starts)."""

    def execute(self, spec: dict[str, Any]) -> dict[str, Any]:
        return spec


class Hold(BaseOp):
    """Waits for the file ``spec["release"]``, then gives ``spec["value"]``."""

    def execute(self, spec: dict[str, Any]) -> int:
        release = Path(spec["release"])
        deadline = time.monotonic() + HOLD_DEADLINE
        while not release.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{release} did not appear within {HOLD_DEADLINE}s")
            time.sleep(0.01)
        return int(spec["value"])


class FailFirstTime(BaseOp):
    """Counts its runs in the file ``spec["counter"]`` and fails the first one."""

    def execute(self, spec: dict[str, Any]) -> int:
        counter = Path(spec["counter"])
        runs = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(runs))
        if runs == 1:
            raise RuntimeError("first attempt fails")
        return runs


class Record(BaseOp):
    """Leaves a marker file ``<n>-<unique>`` in the folder ``spec["folder"]`` for each run."""

    def execute(self, spec: dict[str, Any]) -> int:
        marker = Path(spec["folder"]) / f"{spec['n']}-{uuid.uuid4().hex}"
        marker.touch()
        return int(spec["n"])


class NotJSON(BaseOp):
    """Gives an output strict JSON cannot hold."""

    def execute(self, value: Any) -> Any:
        return [1, float("nan")]


def _single(name: str, op: BaseOp) -> Pipeline:
    return Pipeline(
        [Node(op, input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")], name
    )


def pipelines() -> list[Pipeline]:
    hold = Pipeline(
        [
            Node(Peek(), input_nodes=["__pipeline_input__"], output_nodes="spec"),
            Node(Hold(), input_nodes=["spec"], output_nodes="value"),
            Node(AddOne(), input_nodes=["value"], output_nodes="__pipeline_output__"),
        ],
        "hold",
    )
    return [
        _single("add_one", AddOne()),
        _single("not_json", NotJSON()),
        _single("explode", Explode()),
        _single("fails_first", FailFirstTime()),
        _single("record", Record()),
        hold,
    ]


def make_app(
    database_url: str,
    ops_folder: str | os.PathLike[str],
    import_name: str,
    worker_pool: BaseWorkerPool | str,
    heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
) -> PipelinesServer:
    """The test app on ``database_url`` (job store and op store), with ``worker_pool``."""
    return PipelinesServer(
        pipelines(),
        op_store_client=OpStore(database_url, FileSaver(ops_folder)),
        import_name=import_name,
        worker_pool=worker_pool,
        heartbeat_timeout=heartbeat_timeout,
    )
