"""Pipelines and the team's Celery application of chariots-celery's tests.

Importable by name in the test process and in worker subprocesses (this folder is on their
``PYTHONPATH``). The app is the kit's (``chariots_core.testing.pool_app``: ``add_one``,
``sleep``, …) with :func:`pipelines` adding Celery's own: ``probe`` (``{"log": path,
"fail_first": bool}``: appends what its Celery request says, its priority, queue, time limits and
process, to ``log``, and fails its first run if asked) and ``stubborn`` (sleeps ``seconds`` and
swallows whatever interrupts it, as code that ignores a soft time limit would).

``celery_app``: a team's own Celery application (``celery -A celery_test_app:celery_app
worker``) on the broker of the environment's pool URL, whose default queue is the URL's queue
name plus ``-default``; importing it builds the chariots app on it (``CeleryWorkerPool(
celery_app=…)``), as a team's module importing its chariots app does.
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
from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing.pool_app import (
    POOL_ENV,
    app_from_environment,
    pool_app_pipelines,
    single_node,
)

#: the app's pipelines, as the kit's ``PoolApps(pipelines=…)`` names them
PIPELINES = "celery_test_app:pipelines"


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


def pipelines() -> list[Pipeline]:
    """The kit's pipelines, and ``probe`` and ``stubborn``."""
    return [
        *pool_app_pipelines(),
        single_node("probe", Probe()),
        single_node("stubborn", Stubborn()),
    ]


def team_celery_app(pool_url: str) -> Celery:
    """A team's own Celery application on the broker (and for the queue) of ``pool_url``."""
    parts = urlsplit(pool_url)
    queue = parse_qs(parts.query)["queue"][0]
    broker = parts._replace(scheme=parts.scheme.split("+", 1)[1], query="").geturl()
    celery_app = Celery("team_app", broker=broker, set_as_current=False)
    celery_app.conf.update(task_default_queue=f"{queue}-default", worker_prefetch_multiplier=1)
    return celery_app


def __getattr__(name: str) -> Any:
    """``celery_app``: the team's application, built on first use (with the app on it)."""
    if name != "celery_app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    url = os.environ[POOL_ENV]
    celery_app = team_celery_app(url)
    queue = parse_qs(urlsplit(url).query)["queue"][0]
    globals()["app"] = app_from_environment(CeleryWorkerPool(celery_app=celery_app, queue=queue))
    globals()["celery_app"] = celery_app
    return celery_app
