"""A stop flag for signal handlers: :class:`SignalLatch`.

A signal handler runs in the main thread, between any two of its steps: it must take no lock
that thread may hold. ``threading.Event.set`` takes the event's lock, which the main thread
holds for a moment at each turn of ``Event.wait``: a stop landing then hangs the worker for good.
A latch is a pipe instead: setting it writes a byte, waiting for it is a ``poll``.
"""

from __future__ import annotations

import contextlib
import os
import select

__all__ = ["SignalLatch"]


class SignalLatch:
    """Set once (from a signal handler, or any thread), then set for good; waited on by any
    thread, the one the handler interrupts included. :meth:`close` it when done."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._set = False

    def set(self) -> None:
        """Set it, and wake its waiters: no lock, no allocation (safe in a signal handler)."""
        self._set = True
        with contextlib.suppress(OSError):  # full (set already) or closed
            os.write(self._write, b"\0")

    def is_set(self) -> bool:
        """Whether it is set."""
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until it is set, at most ``timeout`` seconds; whether it is."""
        if not self._set:
            poller = select.poll()  # (``select.select`` refuses descriptors past 1023)
            poller.register(self._read, select.POLLIN)
            with contextlib.suppress(OSError):  # closed meanwhile: not set
                poller.poll(None if timeout is None else max(0.0, timeout) * 1000)
        return self._set

    def close(self) -> None:
        """Close its pipe (once nobody waits on it)."""
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)
