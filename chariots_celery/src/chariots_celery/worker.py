"""One Celery worker's life: ``celery worker`` as a program on the pool's queue, in the
foreground (``chariots worker``) or in the kit's supervised worker processes."""

from __future__ import annotations

import os
import signal
import socket
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from celery.signals import worker_ready
from celery.worker import state

from chariots_core.errors import WorkerPoolError
from chariots_core.workers.kit import early_stop, hold_stops_until_ready

if TYPE_CHECKING:
    from chariots_celery.pool import CeleryWorkerPool


def work(
    pool: CeleryWorkerPool, concurrency: int, level: str, ready: Callable[[], None] | None = None
) -> None:
    """Run a Celery worker whose prefork pool runs ``concurrency`` jobs at once (each process
    takes one message at a time) until it is stopped: SIGTERM or SIGINT let the jobs in hand
    finish (a warm shutdown), SIGQUIT stops them (cold). Calls ``ready()`` once it consumes."""
    hold_stops_until_ready()  # until Celery installs its handlers
    nodename = f"chariots-{uuid.uuid4().hex[:12]}@{socket.gethostname()}"

    def on_ready(sender: Any = None, **kwargs: Any) -> None:
        if getattr(sender, "hostname", None) == nodename:
            # the loop sees a stop when it wakes: on RabbitMQ, an idle loop may sleep for seconds
            sender.timer.call_repeatedly(0.2, lambda: None)
            if early_stop.is_set():  # asked to stop while it started: now it can
                os.kill(os.getpid(), signal.SIGTERM)
            if ready is not None:
                ready()

    state.should_stop = state.should_terminate = None  # as a worker before may have left them
    worker_ready.connect(on_ready, weak=False)
    try:
        celery_worker = pool.celery_app.Worker(
            hostname=nodename, queues=[pool.queue.name], concurrency=concurrency,
            pool_cls="prefork", prefetch_multiplier=1, optimization="fair", loglevel=level,
            without_mingle=True, without_gossip=True, without_heartbeat=True, task_events=False,
            quiet=True, redirect_stdouts=False,
        )  # fmt: skip
        celery_worker.start()
        if celery_worker.exitcode:  # it gave up (its broker gone past its retries): not a stop
            raise WorkerPoolError(f"the Celery worker gave up (exit code {celery_worker.exitcode})")
    finally:
        worker_ready.disconnect(on_ready)
