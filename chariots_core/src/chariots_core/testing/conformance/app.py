"""The app the conformance suite runs: its pipelines, and how any process builds it.

The suite builds the app in the test process with :func:`build_app`. A pool whose workers run in
other processes finds the same app by name: the app is importable as
``chariots_core.testing.conformance.app:app`` and built from the environment variables the suite
sets (``CHARIOTS_CONFORMANCE_HOME``: the folder holding its op store and job store;
``CHARIOTS_CONFORMANCE_HEARTBEAT_TIMEOUT``; ``CHARIOTS_CONFORMANCE_BROKER_ONLY``: when set, the
core's recovery sends no message again, so that only the broker delivers), so that::

    chariots worker --app chariots_core.testing.conformance.app:app --pool URL

started from a test (with the test's environment) runs the suite's jobs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chariots_core.ml import MLMode
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.testing._op_store_client import TestOpStoreClient
from chariots_core.testing.conformance._ops import (
    Echo,
    Fail,
    FailsFirst,
    Gate,
    MeanModel,
    Pause,
    Record,
    Start,
    Tick,
    Touch,
)
from chariots_core.testing.conformance._recorder import RECORDER
from chariots_core.workers import register_observer

if TYPE_CHECKING:
    from chariots_core.op_store import BaseOpStoreClient
    from chariots_core.workers import BaseWorkerPool

#: the app's name (its ``import_name``): jobs name it, workers find it by it
APP_NAME = __name__
#: where a process finds the app's folder (set by the suite's ``app`` fixture)
HOME_ENV = "CHARIOTS_CONFORMANCE_HOME"
#: the heartbeat timeout (seconds) of the app's job store
HEARTBEAT_TIMEOUT_ENV = "CHARIOTS_CONFORMANCE_HEARTBEAT_TIMEOUT"
#: set (to anything but empty) by the test of ``redelivery``: the app's job store sends no
#: message again (:attr:`~chariots_core.jobs.JobStore.resend_messages` off), in every process
BROKER_ONLY_ENV = "CHARIOTS_CONFORMANCE_BROKER_ONLY"
#: the heartbeat timeout the suite uses unless a test class says otherwise
DEFAULT_HEARTBEAT_TIMEOUT = 3.0

IN, OUT = "__pipeline_input__", "__pipeline_output__"


def _single(op: Any, name: str, use_worker: bool | None = None) -> Pipeline:
    return Pipeline([Node(op, input_nodes=[IN], output_nodes=[OUT])], name, use_worker=use_worker)


def conformance_pipelines() -> list[Pipeline]:
    """New objects for every pipeline of the suite's app.

    - ``echo`` (and ``echo_in_worker``/``echo_in_server``, whose ``use_worker`` is ``True`` and
      ``False``): gives its input back;
    - ``fail``: raises ``ConformanceFailure``;
    - ``fails_first``: fails its first ``fail_times`` runs (``{"counter": path, "fail_times": n}``);
    - ``record``: appends ``token`` to ``log`` and gives it back;
    - ``gated``: ``Start`` → ``Gate`` (held until the test opens it) → ``Touch``;
    - ``touch``: creates a file (the proof the job ran);
    - ``pause_then_touch``: ``Pause`` (``seconds``) → ``Touch``;
    - ``ticking``: ``Tick`` (a line to ``ticks`` every 20 ms for ``seconds``) → ``Touch``;
    - ``train_mean`` / ``predict_mean``: fit and use ``MeanModel``, a trained, saved op.
    """
    return [
        _single(Echo(), "echo"),
        _single(Echo(), "echo_in_worker", use_worker=True),
        _single(Echo(), "echo_in_server", use_worker=False),
        _single(Fail(), "fail"),
        _single(FailsFirst(), "fails_first"),
        _single(Record(), "record"),
        Pipeline(
            [
                Node(Start(), input_nodes=[IN], output_nodes=["started"]),
                Node(Gate(), input_nodes=["started"], output_nodes=["opened"]),
                Node(Touch(), input_nodes=["opened"], output_nodes=[OUT]),
            ],
            "gated",
        ),
        _single(Touch(), "touch"),
        Pipeline(
            [
                Node(Pause(), input_nodes=[IN], output_nodes=["paused"]),
                Node(Touch(), input_nodes=["paused"], output_nodes=[OUT]),
            ],
            "pause_then_touch",
        ),
        Pipeline(
            [
                Node(Tick(), input_nodes=[IN], output_nodes=["ticked"]),
                Node(Touch(), input_nodes=["ticked"], output_nodes=[OUT]),
            ],
            "ticking",
        ),
        Pipeline([Node(MeanModel(MLMode.FIT), input_nodes=[IN])], "train_mean"),
        _single(MeanModel(MLMode.PREDICT), "predict_mean"),
    ]


def build_app(
    home: str | os.PathLike[str],
    worker_pool: BaseWorkerPool | str | None = None,
    *,
    op_store_client: BaseOpStoreClient | None = None,
    heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
    use_workers: bool | None = None,
    resend_messages: bool = True,
) -> PipelinesServer:
    """The suite's app on the folder ``home``: an op store (and its job store) in
    ``home/op_store``, the lifecycle recorder writing to ``home/lifecycle.log``.

    Two apps built on one folder (in one process or in two) share their stores: a job submitted
    through one is answered for by the other. ``resend_messages=False``: the core's recovery
    sends no message again (only the broker delivers).
    """
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    if op_store_client is None:
        op_store_client = TestOpStoreClient(home / "op_store")
    RECORDER.log = home / "lifecycle.log"
    register_observer(RECORDER)
    server = PipelinesServer(
        conformance_pipelines(),
        op_store_client=op_store_client,
        import_name=APP_NAME,
        worker_pool=worker_pool,
        use_workers=use_workers,
        heartbeat_timeout=heartbeat_timeout,
    )
    if server.job_store is not None:
        server.job_store.resend_messages = resend_messages
    return server


_lock = threading.Lock()
_from_environment: PipelinesServer | None = None


def app_from_environment() -> PipelinesServer:
    """The app on the folder ``$CHARIOTS_CONFORMANCE_HOME`` (built once per process)."""
    global _from_environment
    with _lock:
        if _from_environment is None:
            home = os.environ.get(HOME_ENV)
            if not home:
                raise RuntimeError(
                    f"${HOME_ENV} is not set: the conformance app is built on the folder it "
                    "names (the suite's `app` fixture sets it for the processes a test starts)"
                )
            timeout = float(os.environ.get(HEARTBEAT_TIMEOUT_ENV, DEFAULT_HEARTBEAT_TIMEOUT))
            resend = not os.environ.get(BROKER_ONLY_ENV)
            _from_environment = build_app(home, heartbeat_timeout=timeout, resend_messages=resend)
        return _from_environment


def __getattr__(name: str) -> Any:
    if name == "app":
        return app_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
