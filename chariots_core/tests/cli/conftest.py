"""The ``chariots`` command's tests: test plugins and an app installed, in-process and for
subprocesses (their folder on ``PYTHONPATH``)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _plugin_dists import installed_test_plugins

#: how long a subprocess may take to print what a test waits for
DEADLINE_SECONDS = 120.0


@pytest.fixture
def plugins_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test distributions and app installed; the current folder is theirs."""
    for variable in ("CHARIOTS_APP", "CHARIOTS_WORKER_POOL"):
        monkeypatch.delenv(variable, raising=False)
    with installed_test_plugins(tmp_path / "site", monkeypatch) as folder:
        monkeypatch.chdir(folder)
        yield folder


@pytest.fixture
def chariots_env(plugins_folder: Path) -> dict[str, str]:
    """The environment of a ``chariots`` subprocess that sees the test distributions."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CHARIOTS_APP", "CHARIOTS_WORKER_POOL", "PYTHONPATH"}
    }
    env["PYTHONPATH"] = str(plugins_folder)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def chariots_script() -> str:
    """The ``chariots`` console script of this environment."""
    script = Path(sys.executable).with_name("chariots")
    assert script.exists(), f"no chariots script beside {sys.executable}: reinstall chariots-core"
    return str(script)


class RunningCommand:
    """A ``chariots`` subprocess that runs until stopped, its output (stdout and stderr
    together) read as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [chariots_script(), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.output = ""

    def wait_for(self, text: str) -> str:
        """Read the output until it holds ``text`` (failing at the deadline or at its end)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + DEADLINE_SECONDS
        descriptor = self.process.stdout.fileno()
        while text not in self.output:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {text!r} within {DEADLINE_SECONDS}s in:\n{self.output}"
            ready, _, _ = select.select([descriptor], [], [], remaining)
            if ready:
                chunk = os.read(descriptor, 65536)
                assert chunk, f"the command ended before printing {text!r}:\n{self.output}"
                self.output += chunk.decode()
        return self.output

    def terminate(self) -> int:
        """Send SIGTERM, read the rest of the output, and return the exit status."""
        self.process.send_signal(signal.SIGTERM)
        rest, _ = self.process.communicate(timeout=DEADLINE_SECONDS)
        self.output += rest.decode()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=DEADLINE_SECONDS)


class Chariots:
    """Runs the ``chariots`` console script in subprocesses that see the test distributions."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[RunningCommand] = []

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run ``chariots *args`` to its end (``env`` added to the environment)."""
        return subprocess.run(
            [chariots_script(), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=DEADLINE_SECONDS,
            check=False,
        )

    def start(self, *args: str, **env: str) -> RunningCommand:
        """Start ``chariots *args``, left running (killed at the end of the test if it is)."""
        command = RunningCommand(list(args), {**self.env, **env})
        self.started.append(command)
        return command


@pytest.fixture
def chariots(chariots_env: dict[str, str]) -> Iterator[Chariots]:
    runner = Chariots(chariots_env)
    yield runner
    for command in runner.started:
        command.kill()
