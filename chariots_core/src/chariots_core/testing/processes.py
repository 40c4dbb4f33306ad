"""Commands of this environment run as subprocesses by a test: ``chariots worker``, a backend's
own worker command (``celery``, ``dramatiq``), ``chariots plugins``.

- :class:`CommandProcess`: one command, its output (stdout and stderr together) in a log file
  that the test reads at any time; stopped as a service manager stops it
  (:meth:`CommandProcess.terminate`: SIGTERM, then its exit status) or killed with every process
  below it (:meth:`CommandProcess.kill`).
- :class:`Processes`: the commands one test started, killed at its end if they still run (the
  ``chariots_processes`` fixture).
- :func:`command_environment`: this process's environment for a command, without chariots'
  own settings (``CHARIOTS_*``), with the test's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from chariots_core.testing.polling import DEADLINE, POLL_INTERVAL

if TYPE_CHECKING:
    from chariots_core.workers import BaseWorkerPool

__all__ = ["CommandProcess", "Processes", "command_environment", "script_path"]


def script_path(script: str) -> Path:
    """The console script ``script`` of this environment (beside its Python)."""
    path = Path(sys.executable).with_name(script)
    if not path.exists():
        raise FileNotFoundError(f"no {script} script beside {sys.executable}: is it installed?")
    return path


def command_environment(
    settings: Mapping[str, str] | None = None,
    *,
    pythonpath: Iterable[str | os.PathLike[str]] = (),
    keep: Iterable[str] = (),
) -> dict[str, str]:
    """This process's environment without chariots' settings (``CHARIOTS_*``, but for the
    names in ``keep``), with ``settings``, the folders ``pythonpath`` first on ``PYTHONPATH``,
    and unbuffered output (a test reads the log while the command runs)."""
    kept = set(keep)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CHARIOTS_") or key in kept
    }
    env.update(settings or {})
    folders = [str(folder) for folder in pythonpath]
    if env.get("PYTHONPATH"):
        folders.append(env["PYTHONPATH"])
    if folders:
        env["PYTHONPATH"] = os.pathsep.join(folders)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class CommandProcess:
    """A console script of this environment (``chariots``, ``celery``, ``dramatiq``…) as a
    subprocess, its output in ``log``."""

    def __init__(
        self,
        script: str,
        args: Sequence[str],
        log: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.command = [str(script_path(script)), *args]
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command,
                env=dict(env) if env is not None else command_environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        """Everything the command wrote so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float = DEADLINE) -> int | None:
        """The exit status, or ``None`` if it still runs after ``timeout`` seconds."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self, timeout: float = DEADLINE) -> int:
        """SIGTERM, as a service manager stops it, then its exit status; a process still running
        ``timeout`` seconds later fails the test with its output."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self} still ran {timeout:g}s after SIGTERM; its output:\n{self.output}"
            ) from None

    def kill(self) -> None:
        """SIGKILL the process and every process below it (its pool's, its work horses), and
        reap it."""
        if self.process.poll() is None:
            from chariots_core.workers.kit import descendants

            for pid in [self.pid, *descendants(self.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process.wait(DEADLINE)

    def wait_for_workers(
        self, pool: BaseWorkerPool, expected: int, timeout: float = DEADLINE
    ) -> None:
        """Wait until ``pool.n_workers`` reaches ``expected``; fail, with the output, if the
        command exits first or the deadline passes."""
        deadline = time.monotonic() + timeout
        while pool.n_workers < expected:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{' '.join(self.command[1:])} exited (status {self.process.returncode}) "
                    f"before {expected} workers listened; its output:\n{self.output}"
                )
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"n_workers is {pool.n_workers}, not {expected}, {timeout:g}s after "
                    f"{' '.join(self.command[1:])} started; its output:\n{self.output}"
                )
            time.sleep(POLL_INTERVAL)

    def __repr__(self) -> str:
        return f"<CommandProcess {self.pid}: {' '.join(self.command)}>"


class Processes:
    """The commands one test starts, their logs in ``folder``; :meth:`kill_all` at its end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[CommandProcess] = []

    def start(
        self, script: str, args: Sequence[str], env: Mapping[str, str] | None = None
    ) -> CommandProcess:
        """Start ``script args`` (``env``: default, :func:`command_environment`)."""
        log = self.folder / f"{script}-{len(self.started)}.log"
        self.started.append(CommandProcess(script, args, log, env))
        return self.started[-1]

    def kill_all(self) -> None:
        """Kill what still runs (with the processes below it)."""
        for process in self.started:
            process.kill()
