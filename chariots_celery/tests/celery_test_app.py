"""Pipelines and apps of chariots-celery's tests.

Importable by name in the test process and in worker subprocesses, configured by the
environment: ``CHARIOTS_CELERY_TEST_STORE`` (the op store's folder), ``CHARIOTS_CELERY_TEST_APP``
(the app's name), ``CHARIOTS_CELERY_TEST_POOL`` (the pool's URL) and
``CHARIOTS_CELERY_TEST_HEARTBEAT_TIMEOUT``:

- ``app``: ``chariots worker --app celery_test_app:app`` (its pool from the URL);
- ``celery_app``: a team's own Celery application (``celery -A celery_test_app:celery_app
  worker``) on the URL's broker, whose default queue is the URL's queue name plus ``-default``;
  importing it builds ``app`` on it (``CeleryWorkerPool(celery_app=…)``), as a team's module
  importing its chariots app does.

Pipelines: ``add_one``; ``probe`` (``{"log": path, "fail_first": bool}``: appends what its Celery
request says, its priority, queue, time limits and process, to ``log``, and fails its first run
if asked); ``sleep`` (``{"seconds": s, "pid_file": path, "runs": path,
"first_run_only": bool}``: writes the pid of the process running it, counts its runs, sleeps, on
its first run only if asked, and returns the run count); ``stubborn`` (sleeps ``seconds`` and
swallows whatever interrupts it, as code that ignores a soft time limit would).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from celery import Celery, current_task

from chariots_celery import CeleryWorkerPool
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestOpStoreClient
from chariots_core.workers import BaseWorkerPool


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
        if spec.get("pid_file"):
            _write(Path(spec["pid_file"]), str(os.getpid()))
        runs = 1
        if spec.get("runs"):
            counter = Path(spec["runs"])
            runs = int(counter.read_text()) + 1 if counter.exists() else 1
            _write(counter, str(runs))
        if runs == 1 or not spec.get("first_run_only"):
            time.sleep(float(spec["seconds"]))
        return runs


class Probe(BaseOp):
    def execute(self, spec: dict[str, Any]) -> int:
        request = current_task.request
        seen = {"priority": request.delivery_info.get("priority"), "pid": os.getpid()}
        seen |= {"queue": request.delivery_info.get("routing_key"), "timelimit": request.timelimit}
        log = Path(spec["log"])
        with log.open("a") as output:
            output.write(json.dumps(seen) + "\n")
        runs = len(log.read_text().splitlines())
        if spec.get("fail_first") and runs == 1:
            raise RuntimeError("the first run fails")
        return runs


class Stubborn(BaseOp):
    def execute(self, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(BaseException):  # ignoring the soft time limit is the point
                time.sleep(0.02)
        return "finished"


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
    pipelines = [_single("add_one", AddOne()), _single("sleep", Sleep()), _single("probe", Probe())]
    return PipelinesServer(
        [*pipelines, _single("stubborn", Stubborn())],
        op_store_client=TestOpStoreClient(store),
        import_name=name,
        worker_pool=pool,
        heartbeat_timeout=heartbeat_timeout,
    )


def team_celery_app(pool_url: str) -> Celery:
    """A team's own Celery application on the broker (and for the queue) of ``pool_url``."""
    parts = urlsplit(pool_url)
    queue = parse_qs(parts.query)["queue"][0]
    broker = parts._replace(scheme=parts.scheme.split("+", 1)[1], query="").geturl()
    celery_app = Celery("team_app", broker=broker, set_as_current=False)
    celery_app.conf.update(task_default_queue=f"{queue}-default", worker_prefetch_multiplier=1)
    return celery_app


_built: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    if name not in ("app", "celery_app"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _built:
        url = os.environ["CHARIOTS_CELERY_TEST_POOL"]
        pool: BaseWorkerPool | str = url
        if name == "celery_app":
            _built["celery_app"] = team_celery_app(url)
            queue = parse_qs(urlsplit(url).query)["queue"][0]
            pool = CeleryWorkerPool(celery_app=_built["celery_app"], queue=queue)
        _built["app"] = make_app(
            os.environ["CHARIOTS_CELERY_TEST_STORE"],
            os.environ["CHARIOTS_CELERY_TEST_APP"],
            pool,
            float(os.environ.get("CHARIOTS_CELERY_TEST_HEARTBEAT_TIMEOUT", "30")),
        )
    return _built[name]
