"""`Doorbell`: a ring from one process to the others that share a database, so that a waiter
learns at once that a job ended or a message was put, instead of at its next poll.

A ring names a channel (``"ends"``, ``"put:<queue>"``); a process that listens on a channel has
its callbacks called, from a thread of its own, when another process rings it. A ring carries no
data: the database stays the truth, and the listener reads it. A lost ring costs only latency:
waiters still look at the database on their own schedule.

- **SQLite files** (one host): each listening process binds a Unix datagram socket in a folder of
  its own user's (mode 0700) named after the database file; a ring sends a byte to each socket
  there, after the ringing transaction committed. A socket whose process died refuses the ring
  and is removed.
- **PostgreSQL** (any host): ``NOTIFY`` inside the ringing transaction (delivered at its commit);
  listeners hold one connection doing ``LISTEN``, re-connected if it drops.
- Anything else (an in-memory SQLite, other dialects) has no doorbell: waiters poll.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import hashlib
import logging
import os
import socket
import tempfile
import threading
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from chariots_core.database._urls import sqlite_file_path

logger = logging.getLogger(__name__)

#: the PostgreSQL channel every ring goes through (the payload names chariots' channel)
PG_CHANNEL = "chariots_doorbell"
#: seconds between two attempts to listen again on a PostgreSQL that dropped the connection
_RELISTEN_INTERVAL = 1.0


class Doorbell:
    """No doorbell: rings go nowhere and listeners are never called (waiters poll)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: dict[str, list[Callable[[], None]]] = {}
        self._listening = False
        _doorbells.add(self)

    def within(self, connection: Connection, channel: str) -> None:
        """Ring ``channel`` when the transaction of ``connection`` commits (PostgreSQL)."""

    def after(self, channel: str) -> None:
        """Ring ``channel`` now: call it after the transaction that changed things committed."""

    def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the doorbell's thread) at each ring of ``channel`` from
        another process; the first listener starts the thread. Idempotent per callback."""
        with self._lock:
            callbacks = self._callbacks.setdefault(channel, [])
            if callback not in callbacks:
                callbacks.append(callback)
            if self._listening:
                return
            self._listening = self._start()

    def _start(self) -> bool:
        """Start listening; whether it did."""
        return False

    def _dispatch(self, channel: str) -> None:
        for callback in self._callbacks.get(channel, ()):
            try:
                callback()
            except Exception:  # a listener's fault stops no other
                logger.warning("a doorbell listener failed", exc_info=True)

    def _reset_in_child(self) -> None:
        # a forked child has none of the parent's threads: it listens anew if it wants to
        self._lock = threading.Lock()
        self._callbacks = {}
        self._listening = False


class SocketDoorbell(Doorbell):
    """Unix datagram sockets in a folder of this user's, one per listening process."""

    def __init__(self, database_path: Path) -> None:
        super().__init__()
        key = hashlib.sha256(str(database_path.resolve()).encode()).hexdigest()[:16]
        self.folder = Path(tempfile.gettempdir()) / f"chariots-doorbells-{os.getuid()}" / key
        self._receiver: socket.socket | None = None
        self._address: str | None = None
        self._sender: socket.socket | None = None

    def after(self, channel: str) -> None:
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return  # nobody ever listened
        if not entries:
            return
        data = channel.encode()
        sender = self._sender
        if sender is None:
            sender = self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sender.setblocking(False)
        for entry in entries:
            if entry.path == self._address:
                continue  # this process knows already
            try:
                sender.sendto(data, entry.path)
            except (ConnectionRefusedError, FileNotFoundError):
                _unlink(entry.path)  # its process is gone
            except OSError as error:  # its queue is full: it has rings to read already
                if error.errno not in (errno.EAGAIN, errno.ENOBUFS):
                    logger.debug("doorbell ring to %s failed: %s", entry.path, error)

    def _start(self) -> bool:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.folder.parent.chmod(0o700)
            receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            address = str(self.folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
            receiver.bind(address)
        except OSError as error:  # a read-only /tmp, a path too long: waiters poll
            logger.info("no doorbell for %s: %s", self.folder, error)
            return False
        self._receiver, self._address = receiver, address
        atexit.register(_unlink, address)
        threading.Thread(
            target=self._serve, args=(receiver,), name="chariots-doorbell", daemon=True
        ).start()
        return True

    def _serve(self, receiver: socket.socket) -> None:
        while True:
            try:
                data = receiver.recv(512)
            except OSError:  # closed (a forked child's copy)
                return
            self._dispatch(data.decode(errors="replace"))

    def _reset_in_child(self) -> None:
        super()._reset_in_child()
        for sock in (self._receiver, self._sender):
            if sock is not None:
                sock.close()
        self._receiver = self._address = self._sender = None


class PostgresDoorbell(Doorbell):
    """``NOTIFY`` in the ringing transaction; one ``LISTEN`` connection per listening process."""

    _NOTIFY = text("SELECT pg_notify(:channel, :payload)").bindparams(
        bindparam("channel", PG_CHANNEL)
    )

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def within(self, connection: Connection, channel: str) -> None:
        connection.execute(self._NOTIFY, {"payload": channel})

    def _start(self) -> bool:
        threading.Thread(target=self._serve, name="chariots-doorbell", daemon=True).start()
        return True

    def _serve(self) -> None:
        pid = os.getpid()
        retry = threading.Event()
        while os.getpid() == pid:
            try:
                self._listen()
            except Exception as error:  # the server went away: listen again soon
                logger.debug("doorbell LISTEN connection lost: %s", error)
            retry.wait(_RELISTEN_INTERVAL)

    def _listen(self) -> None:
        pooled = self.engine.raw_connection()
        pooled.detach()  # this connection is the doorbell's, not the pool's
        connection: Any = pooled.dbapi_connection
        try:
            connection.autocommit = True
            connection.execute(f"LISTEN {PG_CHANNEL}")
            for notify in connection.notifies():
                self._dispatch(notify.payload)
        finally:
            connection.close()


def doorbell_for(engine: Engine) -> Doorbell:
    """The doorbell of a database: see the module."""
    if engine.dialect.name == "postgresql":
        return PostgresDoorbell(engine)
    path = sqlite_file_path(engine.url)
    return Doorbell() if path is None else SocketDoorbell(path)


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


_doorbells: weakref.WeakSet[Doorbell] = weakref.WeakSet()


def _reset_all_in_child() -> None:
    for doorbell in list(_doorbells):
        doorbell._reset_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_all_in_child)
