"""Helpers of chariots-dramatiq's tests (importable by name: ``from dramatiq_test_support
import …``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import _polling
from dramatiq_test_app import ENV

T = TypeVar("T")

#: options that make Dramatiq's workers stop fast, and (on Redis) find dead workers' messages
FAST = {"worker_timeout": 0.05}
FAST_REDIS = {**FAST, "heartbeat_timeout": 2, "maintenance_chance": 1_000_000}
#: the longest any test waits for a job to be picked up and run
DEADLINE = 60.0
TESTS_FOLDER = Path(__file__).parent


def eventually(check: Callable[[], T], timeout: float = DEADLINE, what: str = "condition") -> T:
    """:func:`_polling.eventually`, with the deadline of chariots-dramatiq's tests."""
    return _polling.eventually(check, timeout, what)


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without chariots' settings, with the test app's (``store=``,
    ``app=``, ``pool=``, …: ``CHARIOTS_DRAMATIQ_TEST_STORE``, …) and this folder importable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHARIOTS_")}
    env.update({f"{ENV}{name.upper()}": value for name, value in settings.items()})
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS_FOLDER), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Command:
    """A command of this virtual environment (``chariots``, ``dramatiq``) as a subprocess, its
    output in a log file."""

    def __init__(self, script: str, args: list[str], env: dict[str, str], log: Path) -> None:
        path = Path(sys.executable).with_name(script)
        assert path.exists(), f"no {script} script beside {sys.executable}"
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(path), *args], env=env, stdout=output, stderr=subprocess.STDOUT
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
