"""The default ``kill_worker``: kill the worker process running a job, if this test started it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from chariots_core.jobs import Job

#: what a test class provides to kill the worker running a job (the ``kill_worker`` fixture)
KillWorker = Callable[[Job], None]

_PROVIDE = (
    "give the test class a `kill_worker` fixture returning a function that kills (as a crash "
    "would: no clean-up) the worker running the job it is given"
)


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after it
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[1]) if len(fields) > 1 else None


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, grandchildren…), read from ``/proc``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent_of(int(entry.name))
            if parent is not None:
                parents[int(entry.name)] = parent
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        pending.extend(children)
    return found


def _descends_from_us(pid: int) -> bool:
    me, current = os.getpid(), pid
    for _ in range(64):
        parent = _parent_of(current)
        if parent is None or parent <= 1:
            return False
        if parent == me:
            return True
        current = parent
    return False


def kill_worker_process(job: Job) -> None:
    """Kill with ``SIGKILL`` the process named by the job's worker id (``host:pid:…``, as
    :func:`chariots_core.workers.new_worker_id` makes them), and every process it
    started, when it is a process that this test process started (a child or grandchild; Linux
    only).

    Skips the test, naming the fixture to provide, when that is not the case: workers that run
    in this process (threads), on another host, or whose id says no pid.
    """
    worker_id = job.worker_id or ""
    parts = worker_id.split(":")
    if len(parts) < 2 or not parts[1].isdigit():
        pytest.skip(f"the job's worker id {worker_id!r} names no process to kill; {_PROVIDE}")
    host, pid = parts[0], int(parts[1])
    if host != socket.gethostname():
        pytest.skip(f"the job's worker runs on another host ({host}); {_PROVIDE}")
    if pid == os.getpid():
        pytest.skip(
            f"the pool's workers run in the test process (threads): killing one would kill the "
            f"test; {_PROVIDE}"
        )
    if not hasattr(signal, "SIGKILL") or not Path("/proc").is_dir():
        pytest.skip(f"the default kill_worker needs Linux (/proc and SIGKILL); {_PROVIDE}")
    if not _descends_from_us(pid):
        pytest.skip(
            f"the job's worker (pid {pid}) is not a process this test started, so the default "
            f"kill_worker leaves it alone; {_PROVIDE}"
        )
    # as a crash of its machine would: the worker and every process it started (a process that
    # runs the job for it), the worker first so that it cannot record its job's end
    below = _descendants(pid)
    os.kill(pid, signal.SIGKILL)
    for child in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
