"""`LifecycleRecorder`: an observer that writes each lifecycle hook call to a file.

Hooks fire where the job is: ``chariots_job_submitted`` in the submitting process,
``chariots_job_started`` and ``chariots_job_finished`` in the worker, which may be another process.
So the recorder appends one line per call to a log file in the app's home folder, and the suite
reads the file. :func:`~chariots_core.testing.conformance.app.build_app` registers it in every
process that builds the suite's app (the test process, and worker processes that load the app).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from chariots_core.jobs import Job
from chariots_core.testing.conformance._ops import append_line
from chariots_core.workers import hookimpl

HOOKS = ("chariots_job_submitted", "chariots_job_started", "chariots_job_finished")


class LifecycleRecorder:
    """Appends ``<hook> <job id> <pid>`` to :attr:`log` for each lifecycle hook call."""

    def __init__(self) -> None:
        self.log: Path | None = None

    def _record(self, hook: str, job: Job) -> None:
        log = self.log
        if log is None:
            return
        # once the test that owned the folder is over, there is nothing to record it for
        with contextlib.suppress(OSError):
            append_line(log, f"{hook} {job.id} {os.getpid()}")

    @hookimpl
    def chariots_job_submitted(self, job: Job) -> None:
        self._record("chariots_job_submitted", job)

    @hookimpl
    def chariots_job_started(self, job: Job) -> None:
        self._record("chariots_job_started", job)

    @hookimpl
    def chariots_job_finished(self, job: Job) -> None:
        self._record("chariots_job_finished", job)


def read_calls(log: Path, job_id: str) -> dict[str, int]:
    """How many times each lifecycle hook was called for ``job_id``, per the log."""
    calls = dict.fromkeys(HOOKS, 0)
    if not log.exists():
        return calls
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] == job_id and parts[0] in calls:
            calls[parts[0]] += 1
    return calls


#: the one recorder of this process (registering it twice is a no-op)
RECORDER = LifecycleRecorder()
