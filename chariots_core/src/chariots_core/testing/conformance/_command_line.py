"""`CommandLineWorker`: ``chariots worker --app <the suite's app> --pool URL`` as a subprocess.

The path production uses (``run_worker``, SIGTERM taken as Ctrl-C, ``--concurrency``), started
from a test with the test's environment, so that it builds the suite's app on the test's folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chariots_core.testing.conformance._harness import POLL_INTERVAL
from chariots_core.workers import BaseWorkerPool
from chariots_core.workers.kit import descendants

#: the suite's app, as ``chariots worker --app`` names it
APP_PATH = "chariots_core.testing.conformance.app:app"


class CommandLineWorker:
    """One ``chariots worker`` process on the pool ``url``, logging to ``log``."""

    def __init__(self, url: str, concurrency: int, log: Path) -> None:
        self.url = url
        self.concurrency = concurrency
        self.log = log
        command = [sys.executable, "-m", "chariots_core.cli", "worker", "--app", APP_PATH]
        command += ["--pool", url, "--concurrency", str(concurrency)]
        with log.open("ab") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def runs(self, worker_id: str | None) -> bool:
        """Whether the worker id (``host:pid:…``) names this process or one below it."""
        parts = (worker_id or "").split(":")
        if len(parts) < 2 or not parts[1].isdigit():
            return False
        return int(parts[1]) in (self.pid, *descendants(self.pid))

    def output(self) -> str:
        """The last lines the process wrote (for failure messages)."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(lines[-30:])

    def wait_listening(self, pool: BaseWorkerPool, expected: int, timeout: float) -> None:
        """Wait until ``pool.n_workers`` reaches ``expected``; fail if the process exits first."""
        deadline = time.monotonic() + timeout
        while pool.n_workers < expected:
            if self.process.poll() is not None:
                pytest.fail(
                    f"`chariots worker --pool {self.url} --concurrency {self.concurrency}` exited "
                    f"(status {self.process.returncode}) before its workers listened; the pool's "
                    f"run_worker must run workers until stopped. Its output:\n{self.output()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`chariots worker --concurrency {self.concurrency}` should add "
                    f"{self.concurrency} to n_workers: it says {pool.n_workers}, expected "
                    f"{expected} after {timeout:g}s. Its output:\n{self.output()}",
                    pytrace=False,
                )
            time.sleep(POLL_INTERVAL)

    def terminate(self) -> None:
        """SIGTERM, as a service manager stops it: the jobs in hand finish, then it exits."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        """The exit status, or ``None`` if it still runs after ``timeout`` seconds."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Kill the process and every process below it, and reap it."""
        if self.process.poll() is None:
            below = descendants(self.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            for pid in below:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process.wait()
