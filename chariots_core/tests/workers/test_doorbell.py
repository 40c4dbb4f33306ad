"""The doorbell between processes sharing a database: a ring from another process reaches the
listeners, a waiter learns of an end without polling, an embedded worker process of a put.

Waiters here poll every two minutes: only a ring can end their wait within the test's bounds
(each test waits at most 60 s for what a ring brings in milliseconds).

Every test runs on a SQLite file (Unix datagram sockets) and a PostgreSQL schema (NOTIFY).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from _polling import eventually

sys.path.insert(0, str(Path(__file__).with_name("apps")))

from worker_test_pipelines import make_app

from chariots_core.database import Database
from chariots_core.database._doorbell import PG_CHANNEL, Doorbell, SocketDoorbell
from chariots_core.jobs import JobStatus, JobStore
from chariots_core.workers.embedded import EmbeddedWorkerPool

#: seconds a waiter sleeps between two looks in these tests: longer than any test may take
NO_POLLING = 120.0
#: what a ring must bring within
BOUND = 60.0

fork = multiprocessing.get_context("fork")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.ensure_created()
    yield database
    database.dispose()


def _ring_from_child(url: str, go: Connection) -> None:
    go.recv()
    database = Database(url)
    with database.connection() as connection:
        database.doorbell.within(connection, "test-channel")
    database.doorbell.after("test-channel")
    os._exit(0)


def test_a_ring_from_another_process_calls_the_channels_listeners(database: Database) -> None:
    heard = threading.Event()
    other = threading.Event()
    database.doorbell.listen("test-channel", heard.set)
    database.doorbell.listen("another-channel", other.set)
    receiver, sender = fork.Pipe(duplex=False)
    child = fork.Process(target=_ring_from_child, args=(str(database.url), receiver))
    child.start()
    try:
        sender.send("ring")
        assert heard.wait(BOUND), "the ring of another process did not reach the listener"
        assert not other.is_set()
    finally:
        child.join(BOUND)
    assert child.exitcode == 0


def _finish_when_told(url: str, job_id: str, go: Connection) -> None:
    go.recv()
    store = JobStore(url)
    assert store.claim(job_id, "child-worker") is not None
    assert store.finish(job_id, "child-worker", JobStatus.done, result=42)
    os._exit(0)


def test_a_waiter_learns_of_an_end_in_another_process_without_polling(
    database: Database,
) -> None:
    store = JobStore(database)
    store.poll_first = store.poll_max = NO_POLLING
    job = store.create("app", "p")
    receiver, sender = fork.Pipe(duplex=False)
    child = fork.Process(target=_finish_when_told, args=(str(database.url), job.id, receiver))
    child.start()
    try:
        # told at the waiter's first look: the end comes while it sleeps (or, on a fast child,
        # before its first read, which then sees it)
        ended = store.wait(job.id, BOUND, tick=lambda: sender.send("finish"))
    finally:
        child.join(BOUND)
    assert (ended.status, ended.result) == (JobStatus.done, 42)


def test_an_embedded_worker_process_is_woken_by_a_put_in_another_process(
    database: Database, tmp_path: Path
) -> None:
    pool = EmbeddedWorkerPool(mode="process", poll_interval=NO_POLLING, autostart=0)
    app = make_app(str(database.url), tmp_path / "ops", "doorbell_put", pool)
    before = _listeners(database)
    pool.start_workers(1)
    try:
        # the worker listens before its first look at the queue: a put after that wakes it
        eventually(lambda: _listeners(database) - before, what="the worker process to listen")
        job = app.submit_job("add_one", 1)
        store = app.job_store
        assert store is not None
        done = store.wait(job.id, BOUND)
        assert (done.status, done.result) == (JobStatus.done, 2)
    finally:
        pool.stop_workers(BOUND)
        pool.close()


def _listeners(database: Database) -> set[str]:
    """Who listens on the database's doorbell: the sockets beside a SQLite file, the server
    processes of the LISTEN connections on PostgreSQL (on the whole server: compare sets, as
    other tests' listeners may stop meanwhile)."""
    doorbell = database.doorbell
    if isinstance(doorbell, SocketDoorbell):
        folder = doorbell.folder
        return {path.name for path in folder.iterdir()} if folder.exists() else set()
    with database.connection() as connection:
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE query = %(listen)s",
            {"listen": f"LISTEN {PG_CHANNEL}"},
        ).scalars()
        return {str(pid) for pid in pids}


def test_a_socket_whose_process_died_is_removed_at_the_next_ring(tmp_path: Path) -> None:
    doorbell = SocketDoorbell(tmp_path / "jobs.db")
    doorbell.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    dead = doorbell.folder / "12345-dead"
    left = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    left.bind(str(dead))
    left.close()  # its file stays: as a killed process leaves it

    doorbell.after("ends")

    assert not dead.exists()


def test_a_database_without_a_doorbell_rings_nothing() -> None:
    database = Database("sqlite://")
    assert type(database.doorbell) is Doorbell
    heard = threading.Event()
    database.doorbell.listen("ends", heard.set)
    with database.connection() as connection:
        database.doorbell.within(connection, "ends")
    database.doorbell.after("ends")
    assert not heard.is_set()


def _thread_names() -> set[str]:
    return {thread.name for thread in threading.enumerate()}


def test_disposing_the_database_stops_its_listening(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    doorbell = database.doorbell
    assert isinstance(doorbell, SocketDoorbell)
    database.doorbell.listen("ends", lambda: None)
    assert len(list(doorbell.folder.iterdir())) == 1
    assert f"chariots-doorbell-{doorbell.folder.name}" in _thread_names()

    database.dispose()

    assert list(doorbell.folder.iterdir()) == []  # its socket is gone: rings skip it
    eventually(
        lambda: f"chariots-doorbell-{doorbell.folder.name}" not in _thread_names(),
        what="the listening thread to end",
    )


def _listen_in_child(url: str, pipe: Connection) -> None:
    database = _inherited[url]
    _HEARD.clear()
    database.doorbell.listen("test-channel", _HEARD.set)  # the same callback as its parent's
    pipe.send("listening")
    pipe.send(_HEARD.wait(BOUND))
    os._exit(0)


_inherited: dict[str, Database] = {}
_HEARD = threading.Event()


def test_a_forked_child_listens_on_its_own(database: Database) -> None:
    """A child forked from a process that listens hears rings itself, with the same callbacks
    (its parent's listening thread is not in it)."""
    database.doorbell.listen("test-channel", _HEARD.set)
    _inherited[str(database.url)] = database
    mine, theirs = fork.Pipe()
    child = fork.Process(target=_listen_in_child, args=(str(database.url), theirs))
    child.start()
    try:
        assert mine.poll(BOUND)
        assert mine.recv() == "listening"
        database.doorbell.ring("test-channel")  # (a socket ring skips only its own process)
        assert mine.poll(BOUND)
        assert mine.recv() is True, "the child did not hear the ring"
    finally:
        child.join(BOUND)
        _inherited.clear()
