"""The kit every worker pool stands on: what two pools would both need, public and documented.

A pool is a short adapter over its backend; everything else is here:

- :mod:`~chariots_core.workers.kit.urls`: one parser of ``backend[+transport]://…?option=value``
  URLs with typed options (:class:`Seconds`, :class:`Count`, :class:`Flag`, :class:`Choice`,
  :class:`Text`, :class:`Levels`) and password-free descriptions;
- :mod:`~chariots_core.workers.kit.processes`: supervised worker processes (readiness, graceful
  stop then kill, orphan watchdog, replacement of dead processes, clean-up at exit):
  ``start_workers``, ``stop_workers`` and ``chariots worker --concurrency N``;
- :mod:`~chariots_core.workers.kit.work_horse`: one job in a forked child with a hard timeout;
- :mod:`~chariots_core.workers.kit.forking`: fork hygiene and orphan watchdogs (also for the
  processes a backend forks itself: :func:`orphans_stop`);
- :mod:`~chariots_core.workers.kit.stopping`: a backend worker's graceful stop that waits for
  the jobs in hand, not for an unreachable broker (:class:`JobsInHand`,
  :func:`stop_for_jobs_in_hand`);
- :mod:`~chariots_core.workers.kit.signals`: a stop flag that signal handlers may set
  (:class:`SignalLatch`: a ``threading.Event`` set from a handler can hang its thread);
- :mod:`~chariots_core.workers.kit.asyncio_bridge`: :class:`AsyncioBridge`, an event loop in a
  daemon thread, so that synchronous code (``submit``, a worker loop) uses asyncio-only clients;
- :mod:`~chariots_core.workers.kit.outages`: a worker loop run again once its broker is back;
- :mod:`~chariots_core.workers.kit.queue_conflicts`: a RabbitMQ queue declared by another
  program with other arguments, said in one line naming the queue, the vhost and the option;
- :mod:`~chariots_core.workers.kit.roster`: a roster of worker heartbeats in the app's database,
  for backends that cannot list their workers; :func:`beating`: a broker's heartbeat kept up
  while a worker runs a job itself.

With the runtime's :func:`~chariots_core.workers.run_job` (whose outcome says what to do with
the message: :class:`~chariots_core.workers.MessageAction`) and
:func:`~chariots_core.workers.fail_run` (failing a run from outside the job), and the test
services of :mod:`chariots_core.testing.services`.
"""

from chariots_core.workers._heartbeats import beating
from chariots_core.workers.kit.asyncio_bridge import AsyncioBridge
from chariots_core.workers.kit.forking import (
    early_stop,
    fork_context,
    hold_stops_until_ready,
    orphans_stop,
    prepare_fork,
    stop_when_orphaned,
    when_orphaned,
)
from chariots_core.workers.kit.outages import run_through_outages, wait_for_broker
from chariots_core.workers.kit.processes import (
    BackgroundWorkers,
    WorkerProcesses,
    WorkerProcessesFailed,
    WorkerProcessTarget,
    descendants,
    exit_reason,
    kill_tree,
    run_in_foreground,
)
from chariots_core.workers.kit.queue_conflicts import (
    QueueConflict,
    explaining_queue_conflicts,
    queue_conflict,
)
from chariots_core.workers.kit.roster import InlineHeartbeat, WorkerRecord, WorkerRoster
from chariots_core.workers.kit.signals import SignalLatch
from chariots_core.workers.kit.stopping import JobsInHand, stop_for_jobs_in_hand
from chariots_core.workers.kit.urls import (
    Choice,
    Count,
    Flag,
    Levels,
    PoolURL,
    PoolURLError,
    Seconds,
    Text,
    UrlOption,
    hide_password,
    parse_pool_url,
    with_query,
)
from chariots_core.workers.kit.work_horse import WorkHorseFailed, run_in_work_horse

__all__ = [
    "AsyncioBridge",
    "BackgroundWorkers",
    "Choice",
    "Count",
    "Flag",
    "InlineHeartbeat",
    "JobsInHand",
    "Levels",
    "PoolURL",
    "PoolURLError",
    "QueueConflict",
    "Seconds",
    "SignalLatch",
    "Text",
    "UrlOption",
    "WorkHorseFailed",
    "WorkerProcessTarget",
    "WorkerProcesses",
    "WorkerProcessesFailed",
    "WorkerRecord",
    "WorkerRoster",
    "beating",
    "descendants",
    "early_stop",
    "exit_reason",
    "explaining_queue_conflicts",
    "fork_context",
    "hide_password",
    "hold_stops_until_ready",
    "kill_tree",
    "orphans_stop",
    "parse_pool_url",
    "prepare_fork",
    "queue_conflict",
    "run_in_foreground",
    "run_in_work_horse",
    "run_through_outages",
    "stop_for_jobs_in_hand",
    "stop_when_orphaned",
    "wait_for_broker",
    "when_orphaned",
    "with_query",
]
