"""What the benchmark runs: one trivial function, as a chariots pipeline and as a raw task of
each backend (RQ, Celery, Dramatiq), importable by name in the worker processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestOpStoreClient
from chariots_core.workers import BaseWorkerPool

#: the app's name: workers find it by it
APP_NAME = "bench_app"
#: the Redis the raw Celery and Dramatiq apps use (set by the benchmark before it imports them)
REDIS_ENV = "CHARIOTS_BENCH_REDIS_URL"


def work(payload: Any = None) -> int:
    """The job: as little as can be (the size of its input)."""
    return len(payload) if payload else 0


class Work(BaseOp):
    def execute(self, payload: Any = None) -> int:
        return work(payload)


def build_app(home: Path, pool: BaseWorkerPool | str | None) -> PipelinesServer:
    """The chariots app: one pipeline ``work`` of one node, its stores in ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline(
        [Node(Work(), input_nodes=["__pipeline_input__"], output_nodes=["__pipeline_output__"])],
        "work",
    )
    return PipelinesServer(
        [pipeline],
        op_store_client=TestOpStoreClient(home / "op_store"),
        import_name=APP_NAME,
        worker_pool=pool,
    )


def redis_url() -> str:
    return os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0")
