"""The default ``kill_worker``: kill the worker process running a job, if this test started it."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from chariots_core.jobs import Job
from chariots_core.workers.kit import descendants, kill_tree

#: what a test class provides to kill the worker running a job (the ``kill_worker`` fixture)
KillWorker = Callable[[Job], None]

_PROVIDE = (
    "give the test class a `kill_worker` fixture returning a function that kills (as a crash "
    "would: no clean-up) the worker running the job it is given"
)


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
    if pid not in descendants(os.getpid()):
        pytest.skip(
            f"the job's worker (pid {pid}) is not a process this test started, so the default "
            f"kill_worker leaves it alone; {_PROVIDE}"
        )
    # as a crash of its machine would: the worker and every process it started (a process that
    # runs the job for it), the worker first so that it cannot record its job's end
    kill_tree(pid)
