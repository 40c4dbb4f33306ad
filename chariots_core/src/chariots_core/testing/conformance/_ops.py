"""The ops of the conformance suite's pipelines.

Everything an op needs to know about the test in progress (where its gate is, which file to
touch) travels in the pipeline's JSON input, never in the op: a worker in another process, or a
worker that kept a loaded pipeline from an earlier test, runs them the same. Files are the only
channel between a job and the test, so the suite works whatever process or machine (sharing the
folder) the pool's workers run in.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from chariots_core.ml import BaseMLOp
from chariots_core.pipelines.ops import BaseOp
from chariots_core.versioning import VersionType

#: the longest an op of the suite waits for its gate before giving up (a bound, not a pause)
MAX_HOLD_SECONDS = 120.0


class ConformanceFailure(Exception):
    """What the suite's failing ops raise, so that a job's error is recognisably theirs."""


def append_line(path: str | os.PathLike[str], line: str) -> None:
    """Append one line to ``path`` in one write (``O_APPEND``: lines of concurrent writers on one
    machine do not interleave)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (line.rstrip("\n") + "\n").encode())
    finally:
        os.close(descriptor)


class Echo(BaseOp):
    """Gives back its input."""

    def execute(self, value: Any = None) -> Any:
        return value


class Fail(BaseOp):
    """Always raises :class:`ConformanceFailure`, naming its input."""

    def execute(self, value: Any = None) -> Any:
        raise ConformanceFailure(
            f"the suite's failing pipeline failed on purpose (input {value!r})"
        )


class FailsFirst(BaseOp):
    """Fails its first ``fail_times`` runs: each run appends its start time to ``counter``."""

    def execute(self, spec: dict[str, Any]) -> int:
        counter = Path(spec["counter"])
        append_line(counter, repr(time.time()))
        runs = len(counter.read_text().splitlines())
        if runs <= int(spec["fail_times"]):
            raise ConformanceFailure(f"run {runs} of the fails_first pipeline fails on purpose")
        return runs


class Record(BaseOp):
    """Appends ``token`` to the run log ``log`` (one line per run) and gives it back."""

    def execute(self, spec: dict[str, Any]) -> Any:
        append_line(spec["log"], json.dumps(spec["token"]))
        return spec["token"]


class Start(BaseOp):
    """A first, instant step (so that progress is visible while the next one holds)."""

    def execute(self, spec: dict[str, Any]) -> dict[str, Any]:
        return spec


class Gate(BaseOp):
    """Holds the job until the test opens the gate.

    Appends a line to ``<gate>.started`` when it starts, then waits for the file ``<gate>.open``
    (at most ``hold`` seconds, then raises).
    """

    def execute(self, spec: dict[str, Any]) -> dict[str, Any]:
        gate = spec["gate"]
        append_line(f"{gate}.started", str(os.getpid()))
        hold = min(float(spec.get("hold", MAX_HOLD_SECONDS)), MAX_HOLD_SECONDS)
        deadline = time.monotonic() + hold
        opened = Path(f"{gate}.open")
        while not opened.exists():
            if time.monotonic() > deadline:
                raise ConformanceFailure(f"gate {gate} was not opened within {hold}s")
            time.sleep(0.01)
        return spec


class Pause(BaseOp):
    """Works for ``seconds`` (a stand-in for a slow step)."""

    def execute(self, spec: dict[str, Any]) -> dict[str, Any]:
        time.sleep(float(spec["seconds"]))
        return spec


class Tick(BaseOp):
    """Works for ``seconds``, appending a line to ``ticks`` every ``TICK_INTERVAL`` seconds: the
    proof that the node is still running (a stopped job's ticks stop)."""

    def execute(self, spec: dict[str, Any]) -> dict[str, Any]:
        deadline = time.monotonic() + min(float(spec["seconds"]), MAX_HOLD_SECONDS)
        while time.monotonic() < deadline:
            append_line(spec["ticks"], repr(time.time()))
            time.sleep(TICK_INTERVAL)
        return spec


#: seconds between two ticks of :class:`Tick`
TICK_INTERVAL = 0.02


class Touch(BaseOp):
    """Creates the file ``touch`` (the proof that this step ran) and gives ``value`` back."""

    def execute(self, spec: dict[str, Any]) -> Any:
        append_line(spec["touch"], str(os.getpid()))
        return spec.get("value")


class MeanModel(BaseMLOp):
    """A tiny trainable model: fitting learns the mean of a list of numbers, predicting gives it.

    Each fit gives it a new training version, saved to the op store by the job that fitted it.
    """

    training_update_version = VersionType.MINOR

    mean: float | None = None

    def fit(self, numbers: list[float]) -> None:
        self.mean = sum(numbers) / len(numbers)

    def predict(self, value: Any = None) -> float:
        if self.mean is None:
            raise ConformanceFailure("MeanModel was asked to predict before it was trained")
        return self.mean

    def serialize(self) -> bytes:
        return json.dumps({"mean": self.mean}).encode()

    def load(self, serialized_object: bytes) -> None:
        self.mean = json.loads(serialized_object)["mean"]
