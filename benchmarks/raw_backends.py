"""The raw libraries' side of the benchmark: RQ, Celery and Dramatiq used directly, with the
benchmark's one function, workers forked from the benchmark's process (as chariots' are)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench_app import redis_url, work


@contextmanager
def forked(target: Callable[[], None], daemon: bool = True) -> Iterator[None]:
    """Run ``target`` in a forked process for the time of the ``with``; SIGTERM it after (not
    ``daemon``: it may start processes of its own, as RQ's worker starts its scheduler)."""
    process = multiprocessing.get_context("fork").Process(target=target, daemon=daemon)
    process.start()
    try:
        yield
    finally:
        if process.pid is not None and process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
        process.join(20)
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGKILL)
            process.join()


# -- RQ -----------------------------------------------------------------------------------------


class RawRQ:
    """``rq.Worker`` (a work horse per job) or ``rq.SimpleWorker`` on a queue of its own, with
    RQ's scheduler (``with_scheduler=True``, as chariots' RQ workers run) if ``scheduler``."""

    def __init__(self, simple: bool, scheduler: bool = False) -> None:
        from redis import Redis
        from rq import Queue

        self.simple, self.scheduler = simple, scheduler
        self.redis = Redis.from_url(redis_url())
        self.queue = Queue("bench_raw_rq", connection=self.redis)

    @contextmanager
    def running(self) -> Iterator[None]:
        def serve() -> None:
            from redis import Redis
            from rq import Queue, SimpleWorker, Worker

            redis = Redis.from_url(redis_url())
            kind = SimpleWorker if self.simple else Worker
            worker = kind([Queue("bench_raw_rq", connection=redis)], connection=redis)
            worker.work(logging_level="WARNING", with_scheduler=self.scheduler)

        with forked(serve, daemon=not self.scheduler):
            self._wait_for_worker()
            yield

    def _wait_for_worker(self) -> None:
        from rq import Worker

        _until(lambda: bool(Worker.all(queue=self.queue)))

    def submit(self, payload: Any) -> Any:
        return self.queue.enqueue(work, payload)

    def wait(self, handle: Any) -> None:
        result = handle.latest_result(timeout=60)
        if result is None or result.type != result.Type.SUCCESSFUL:
            raise RuntimeError(f"raw RQ job {handle.id} did not succeed: {result}")


# -- Celery -------------------------------------------------------------------------------------


class RawCelery:
    """A Celery app (Redis broker and result backend), a prefork worker of concurrency 1."""

    def __init__(self) -> None:
        from celery import Celery

        self.app = Celery("bench_raw_celery", broker=redis_url(), backend=redis_url())
        self.app.conf.task_default_queue = "bench_raw_celery"
        self.task = self.app.task(name="bench.work")(work)

    @contextmanager
    def running(self) -> Iterator[None]:
        ready = multiprocessing.get_context("fork").Event()

        def serve() -> None:
            from celery.signals import worker_ready

            worker_ready.connect(lambda **_: ready.set(), weak=False)
            self.app.Worker(
                concurrency=1, pool="prefork", loglevel="WARNING", quiet=True,
                without_mingle=True, without_gossip=True, without_heartbeat=True,
                task_events=False,
            ).start()  # fmt: skip

        with forked(serve):
            if not ready.wait(60):
                raise RuntimeError("the raw Celery worker did not start")
            yield

    def submit(self, payload: Any) -> Any:
        return self.task.delay(payload)

    def wait(self, handle: Any) -> None:
        handle.get(timeout=60)


# -- Dramatiq -----------------------------------------------------------------------------------


class RawDramatiq:
    """A Dramatiq actor on a Redis broker with Redis results, one worker process of one thread."""

    def __init__(self) -> None:
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker
        from dramatiq.results import Results
        from dramatiq.results.backends.redis import RedisBackend

        self.broker = RedisBroker(url=redis_url())  # type: ignore[no-untyped-call]
        self.backend = RedisBackend(url=redis_url())  # type: ignore[no-untyped-call]
        self.broker.add_middleware(Results(backend=self.backend))  # type: ignore[no-untyped-call]
        self.actor: Any = dramatiq.actor(  # type: ignore[call-overload]
            work, broker=self.broker, actor_name="bench_work", queue_name="bench_raw_dramatiq",
            store_results=True,
        )  # fmt: skip

    @contextmanager
    def running(self) -> Iterator[None]:
        def serve() -> None:
            import dramatiq

            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            self.broker.emit_after("process_boot")
            worker = dramatiq.Worker(self.broker, worker_threads=1, worker_timeout=1000)
            worker.queue_prefetch = 1
            worker.start()
            stop.wait()
            worker.stop()

        with forked(serve):
            yield

    def submit(self, payload: Any) -> Any:
        return self.actor.send(payload)

    def wait(self, handle: Any) -> None:
        handle.get_result(backend=self.backend, block=True, timeout=60_000)


def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("a raw worker did not start in time")
        time.sleep(0.05)
