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

A process listens with one thread (and one socket, or one connection) per database, whatever
the number of :class:`~chariots_core.database.Database` objects on it; the thread stops when the
last of them is disposed, and a forked child listens anew if it wants to.
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
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from chariots_core.database._urls import sqlite_file_path

logger = logging.getLogger(__name__)

#: the PostgreSQL channel every ring goes through (the payload names chariots' channel)
PG_CHANNEL = "chariots_doorbell"
#: seconds between two attempts to listen again on a PostgreSQL that dropped the connection
_RELISTEN_INTERVAL = 1.0
#: seconds the first listener waits for its thread to listen
_LISTEN_TIMEOUT = 5.0
#: seconds between a PostgreSQL listener's looks at whether it should stop
_STOP_CHECK_INTERVAL = 1.0

Callback = Callable[[], None]


class Doorbell:
    """No doorbell: rings go nowhere and listeners are never called (waiters poll)."""

    def __init__(self) -> None:
        self._mine: list[tuple[str, Callback]] = []

    def within(self, connection: Connection, channel: str) -> None:
        """Ring ``channel`` when the transaction of ``connection`` commits (PostgreSQL)."""

    def after(self, channel: str) -> None:
        """Ring ``channel`` after the transaction that changed things committed, unless the
        ring rode it (:meth:`within`): call both, ``within`` in it and ``after`` once done."""

    def ring(self, channel: str) -> None:
        """Ring ``channel`` now, on its own (the change it is about committed already)."""
        self.after(channel)

    def listen(self, channel: str, callback: Callback) -> None:
        """Call ``callback`` (from the listening thread) at each ring of ``channel`` from
        another process after this call returns. Idempotent per callback."""
        listener = self._listener()
        if listener is None:
            return
        if (channel, callback) not in self._mine:
            self._mine.append((channel, callback))
        # (a forked child has no listener of its parent's: it starts its own here)
        listener.add(channel, callback)

    def close(self) -> None:
        """Stop calling this doorbell's callbacks (the database is disposed)."""
        listener = self._listener(start=False)
        mine, self._mine = self._mine, []
        if listener is not None:
            listener.remove(mine)

    def _listener(self, start: bool = True) -> _Listener | None:
        return None


class SocketDoorbell(Doorbell):
    """Unix datagram sockets in a folder of this user's, one per listening process."""

    def __init__(self, database_path: Path) -> None:
        super().__init__()
        key = hashlib.sha256(str(database_path.resolve()).encode()).hexdigest()[:16]
        self.folder = Path(tempfile.gettempdir()) / f"chariots-doorbells-{os.getuid()}" / key

    def after(self, channel: str) -> None:
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return  # nobody ever listened
        if not entries:
            return
        data = channel.encode()
        own = _listening.get(self.folder)
        own_address = own.address if isinstance(own, _SocketListener) else None
        sender = _sender()
        for entry in entries:
            if entry.path == own_address:
                continue  # this process knows already
            try:
                sender.sendto(data, entry.path)
            except (ConnectionRefusedError, FileNotFoundError):
                _unlink(entry.path)  # its process is gone
            except OSError as error:  # its queue is full: it has rings to read already
                if error.errno not in (errno.EAGAIN, errno.ENOBUFS):
                    logger.debug("doorbell ring to %s failed: %s", entry.path, error)

    def _listener(self, start: bool = True) -> _Listener | None:
        return _listener_for(self.folder, lambda: _SocketListener(self.folder), start)


class PostgresDoorbell(Doorbell):
    """``NOTIFY`` in the ringing transaction; one ``LISTEN`` connection per listening process."""

    _NOTIFY = text("SELECT pg_notify(:channel, :payload)").bindparams(
        bindparam("channel", PG_CHANNEL)
    )

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        url = engine.url
        # NOTIFY reaches every session of the database, whatever its schema
        self._key = ("postgresql", url.host, url.port, url.database, url.username)

    def within(self, connection: Connection, channel: str) -> None:
        connection.execute(self._NOTIFY, {"payload": channel})

    def ring(self, channel: str) -> None:
        with self.engine.begin() as connection:
            self.within(connection, channel)

    def _listener(self, start: bool = True) -> _Listener | None:
        return _listener_for(self._key, lambda: _PostgresListener(self.engine), start)


def doorbell_for(engine: Engine) -> Doorbell:
    """The doorbell of a database: see the module."""
    if engine.dialect.name == "postgresql":
        return PostgresDoorbell(engine)
    path = sqlite_file_path(engine.url)
    return Doorbell() if path is None else SocketDoorbell(path)


# -- the listening side: one per database per process -------------------------------------------


class _Listener:
    """The thread of this process that hears a database's rings, and who listens to what."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.callbacks: dict[str, list[Callback]] = {}
        self.stopped = threading.Event()
        self.listening = False

    def add(self, channel: str, callback: Callback) -> None:
        with self.lock:
            callbacks = self.callbacks.setdefault(channel, [])
            if callback not in callbacks:
                callbacks.append(callback)
            if not self.listening:
                self.listening = self.start()

    def remove(self, entries: list[tuple[str, Callback]]) -> None:
        with self.lock:
            for channel, callback in entries:
                callbacks = self.callbacks.get(channel, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks:
                    self.callbacks.pop(channel, None)
            if self.callbacks or not self.listening:
                return
            self.listening = False
            self.stop()

    def dispatch(self, channel: str) -> None:
        with self.lock:
            callbacks = list(self.callbacks.get(channel, ()))
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a listener's fault stops no other
                logger.warning("a doorbell listener failed", exc_info=True)

    def start(self) -> bool:
        """Start listening (under the lock): whether it did."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop listening (under the lock)."""
        self.stopped.set()


class _SocketListener(_Listener):
    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.address: str | None = None
        self.receiver: socket.socket | None = None

    def start(self) -> bool:
        self.stopped = threading.Event()
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.folder.parent.chmod(0o700)
            receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            address = str(self.folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
            receiver.bind(address)
        except OSError as error:  # a read-only /tmp, a path too long: waiters poll
            logger.info("no doorbell in %s: %s", self.folder, error)
            return False
        self.receiver, self.address = receiver, address
        atexit.register(_unlink, address)
        threading.Thread(
            target=self._serve,
            args=(receiver, self.stopped),
            name=f"chariots-doorbell-{self.folder.name}",
            daemon=True,
        ).start()
        return True

    def stop(self) -> None:
        super().stop()
        if self.address is not None:
            with contextlib.suppress(OSError):  # wake the thread: it sees it is stopped
                _sender().sendto(b"", self.address)
            _unlink(self.address)
        self.address = None

    def _serve(self, receiver: socket.socket, stopped: threading.Event) -> None:
        with receiver:
            while True:
                try:
                    data = receiver.recv(512)
                except OSError:
                    return
                if stopped.is_set():
                    return
                self.dispatch(data.decode(errors="replace"))


class _PostgresListener(_Listener):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def start(self) -> bool:
        self.stopped = stopped = threading.Event()
        ready = threading.Event()
        threading.Thread(
            target=self._serve, args=(ready, stopped), name="chariots-doorbell-pg", daemon=True
        ).start()
        # rings after listen() returns are heard (unless the server is out of reach: then
        # waiters poll until the thread listens)
        ready.wait(_LISTEN_TIMEOUT)
        return True

    def _serve(self, ready: threading.Event, stopped: threading.Event) -> None:
        pid = os.getpid()
        while not stopped.is_set() and os.getpid() == pid:
            try:
                self._listen(ready, stopped)
            except Exception as error:  # the server went away: listen again soon
                logger.debug("doorbell LISTEN connection lost: %s", error)
            stopped.wait(_RELISTEN_INTERVAL)

    def _listen(self, ready: threading.Event, stopped: threading.Event) -> None:
        pooled = self.engine.raw_connection()
        pooled.detach()  # this connection is the doorbell's, not the pool's
        connection: Any = pooled.dbapi_connection
        _held.append(connection)  # never collected in a forked child (which would close it)
        try:
            connection.autocommit = True
            connection.execute(f"LISTEN {PG_CHANNEL}")
            ready.set()
            while not stopped.is_set():
                for notify in connection.notifies(timeout=_STOP_CHECK_INTERVAL):
                    self.dispatch(notify.payload)
        finally:  # (this thread runs in the process that opened the connection, never a child)
            connection.close()
            _held.remove(connection)


# -- this process's listeners ---------------------------------------------------------------------

_listening: dict[Hashable, _Listener] = {}
_listening_lock = threading.Lock()
#: the PostgreSQL connections of listeners (held: a forked child must not collect its copies)
_held: list[Any] = []
_senders = threading.local()


def _listener_for(key: Hashable, make: Callable[[], _Listener], start: bool) -> _Listener | None:
    with _listening_lock:
        listener = _listening.get(key)
        if listener is None and start:
            listener = _listening[key] = make()
        return listener


def _sender() -> socket.socket:
    sender: socket.socket | None = getattr(_senders, "socket", None)
    if sender is None or getattr(_senders, "pid", None) != os.getpid():
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sender.setblocking(False)
        _senders.socket, _senders.pid = sender, os.getpid()
    return sender


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _forget_listeners_in_child() -> None:
    # a forked child has none of the parent's threads; its copies of their sockets are closed
    # (a datagram socket has no peer to tell), their PostgreSQL connections left alone (closing
    # one would end the parent's session)
    global _listening_lock
    for listener in _listening.values():
        if isinstance(listener, _SocketListener) and listener.receiver is not None:
            listener.receiver.close()
    _listening.clear()
    _listening_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_listeners_in_child)
