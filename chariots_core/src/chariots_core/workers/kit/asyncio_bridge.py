"""Asyncio-only clients (nats-py, aio-pika, ``redis.asyncio``) from the kit's synchronous code:
:class:`AsyncioBridge`.

A pool's ``submit`` and its worker loop are plain functions, called from any thread; an asyncio
client lives in one event loop. The bridge runs that loop in a daemon thread of its own and
hands it coroutines: ``bridge.run(client.publish(...), timeout=5)`` blocks the calling thread
until the coroutine is done, and returns its result or raises its exception::

    bridge = AsyncioBridge()
    client = bridge.run(nats.connect(url))          # made in the bridge's loop, used there
    bridge.run(client.publish("jobs", data), timeout=10)
    ...
    bridge.run(client.close())
    bridge.close()

Make and use a client in the bridge's loop only (in coroutines the bridge runs): it belongs to
the loop it first ran in.

**After a fork** (the kit's worker processes and work horses are forked) the child has no thread
running the parent's loop: each bridge forgets it in the child (an ``os.register_at_fork`` hook)
and starts a loop and a thread of its own there on its first :meth:`~AsyncioBridge.run`. The
parent's loop, and the clients and connections it held, are left alone in the child: they are
the parent's (their sockets are shared with it); make the child's clients in the child.
:meth:`~AsyncioBridge.close` in the child closes only the child's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import weakref
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["AsyncioBridge"]

T = TypeVar("T")


class AsyncioBridge:
    """An asyncio event loop in a daemon thread, started on first use, for synchronous code to
    run coroutines in: :meth:`run` from any thread (but the loop's own), :meth:`close` once done
    (or use it as a context manager). ``name`` names the thread."""

    def __init__(self, name: str = "chariots-asyncio-bridge") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        _bridges.add(self)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` in the bridge's loop and return its result, or raise its exception.
        Past ``timeout`` seconds (``None``: no limit) it is cancelled and :class:`TimeoutError`
        raised. Raises :class:`RuntimeError` once the bridge is closed, or when called from the
        bridge's own loop (it would wait for itself: ``await`` the coroutine there)."""
        try:
            loop = self._running_loop()
        except RuntimeError:
            coroutine.close()  # never to run: no "was never awaited" warning
            raise
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            if future.done():  # it ended meanwhile, or raised a TimeoutError of its own
                return future.result()
            future.cancel()  # cancels its task in the loop
            raise TimeoutError(f"the coroutine did not end within {timeout:g}s") from None

    def close(self, timeout: float = 5.0) -> None:
        """Cancel what still runs in the loop (a :meth:`run` waiting for it raises
        ``CancelledError``), stop the loop and its thread (within ``timeout`` seconds), close it.
        Idempotent; :meth:`run` raises :class:`RuntimeError` afterwards."""
        with self._lock:
            if self._thread is not None and threading.current_thread() is self._thread:
                raise RuntimeError("an AsyncioBridge cannot be closed from its own loop")
            self._closed = True
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return  # never started (in this process: after a fork, the parent's is left alone)
        # what does not end in time is dropped with the loop
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(_cancel_the_rest(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __enter__(self) -> AsyncioBridge:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._loop is not None else "idle"
        return f"<AsyncioBridge {self.name!r} {state}>"

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        """The loop, started in its thread if it is not yet (or not in this process)."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed")
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=_run_forever, args=(self._loop,), name=self.name, daemon=True
                )
                self._thread.start()
            if threading.current_thread() is self._thread:
                raise RuntimeError(
                    "AsyncioBridge.run called from the bridge's own loop: await the coroutine"
                )
            return self._loop


def _forget_the_parents_loops() -> None:
    """In a forked child: no thread runs the parent's loops here; each bridge starts its own
    (its lock is new too: another thread of the parent may have held it at the fork)."""
    for bridge in list(_bridges):
        bridge._lock = threading.Lock()
        bridge._loop = bridge._thread = None


_bridges: weakref.WeakSet[AsyncioBridge] = weakref.WeakSet()
os.register_at_fork(after_in_child=_forget_the_parents_loops)


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


async def _cancel_the_rest() -> None:
    """Cancel the loop's other tasks, wait for them, close its async generators."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()
