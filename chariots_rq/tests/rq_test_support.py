"""Helpers of chariots-rq's tests (importable by name: ``from rq_test_support import …``)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import _polling

T = TypeVar("T")

#: the longest any test waits for a job to be picked up and run
DEADLINE = 60.0


def eventually(check: Callable[[], T], timeout: float = DEADLINE, what: str = "condition") -> T:
    """:func:`_polling.eventually`, with the deadline of chariots-rq's tests."""
    return _polling.eventually(check, timeout, what)


#: worker options that make RQ's housekeeping quick enough for tests
FAST_WORKERS = {
    "worker_ttl": 16,
    "job_monitoring_interval": 1,
    "maintenance_interval": 1,
    "abandoned_after": 1,
}


class CLIWorker:
    """A ``chariots worker --pool … --app rq_test_app:app`` subprocess (stdout and stderr
    together in ``output``, read when it ends)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        script = Path(sys.executable).with_name("chariots")
        assert script.exists(), f"no chariots script beside {sys.executable}"
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(script), "worker", *args], env=env, stdout=output, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self) -> int:
        """SIGTERM (a graceful stop), then the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=DEADLINE)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=DEADLINE)
