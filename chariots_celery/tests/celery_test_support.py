"""Helpers of chariots-celery's tests (importable by name: ``from celery_test_support import``)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import _polling

from chariots_core.workers.kit import descendants

T = TypeVar("T")

#: the longest any test waits for a job to be picked up and run
DEADLINE = 60.0


def eventually(check: Callable[[], T], timeout: float = DEADLINE, what: str = "condition") -> T:
    """:func:`_polling.eventually`, with the deadline of chariots-celery's tests."""
    return _polling.eventually(check, timeout, what)


class CLIWorker:
    """A worker command (``chariots`` or ``celery``, from this environment) as a subprocess;
    its output (stdout and stderr) in ``log``."""

    def __init__(self, script: str, args: list[str], env: dict[str, str], log: Path) -> None:
        executable = Path(sys.executable).with_name(script)
        assert executable.exists(), f"no {script} script beside {sys.executable}"
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(executable), *args], env=env, stdout=output, stderr=subprocess.STDOUT
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
        """SIGKILL the process and the processes below it (its pool's), and reap it."""
        if self.process.poll() is None:
            below = descendants(self.pid)
            for pid in [self.pid, *below]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=DEADLINE)
