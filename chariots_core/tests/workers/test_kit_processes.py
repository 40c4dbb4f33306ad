"""The kit's supervised worker processes and its worker roster."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from _polling import eventually

from chariots_core.database import Database, utc_now
from chariots_core.workers.kit import (
    BackgroundWorkers,
    WorkerProcesses,
    WorkerProcessesFailed,
    WorkerRoster,
    descendants,
)
from chariots_core.workers.kit.roster import WorkerRecord


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped yet does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def serving(folder: Path, *, ignore_sigterm: bool = False) -> Callable[[Callable[[], None]], None]:
    """A worker loop: records its pid, says it is ready, and serves until SIGTERM (which it
    may ignore, as a worker stuck in a job would)."""

    def target(ready: Callable[[], None]) -> None:
        stop = threading.Event()
        if ignore_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        (folder / str(os.getpid())).touch()
        ready()
        while not stop.wait(0.05):
            pass

    return target


@pytest.fixture
def stopped_at_end() -> Iterator[list[WorkerProcesses]]:
    started: list[WorkerProcesses] = []
    yield started
    for processes in started:
        processes.stop(timeout=5)


def test_start_returns_once_every_process_is_ready_and_stop_ends_them_gracefully(
    tmp_path: Path, stopped_at_end: list[WorkerProcesses]
) -> None:
    processes = WorkerProcesses(serving(tmp_path), 3, name="test-worker")
    stopped_at_end.append(processes)

    processes.start()

    pids = processes.pids
    assert sorted(pids) == sorted(int(path.name) for path in tmp_path.iterdir())
    assert all(alive(pid) for pid in pids)
    processes.stop(timeout=10)
    assert not any(alive(pid) for pid in pids)
    assert processes.pids == []


def test_stop_kills_what_does_not_stop_in_time_and_what_it_started(
    tmp_path: Path, stopped_at_end: list[WorkerProcesses]
) -> None:
    def stuck_with_a_child(ready: Callable[[], None]) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])
        (tmp_path / "child").write_text(str(child.pid))
        ready()
        child.wait()

    processes = WorkerProcesses(stuck_with_a_child, 1)
    stopped_at_end.append(processes)
    processes.start()
    (pid,) = processes.pids
    child = int(eventually(lambda: (tmp_path / "child").read_text(), what="the child's pid"))

    started = time.monotonic()
    processes.stop(timeout=0.5)

    assert time.monotonic() - started < 10
    assert not alive(pid)
    eventually(lambda: not alive(child), what="the worker's child killed too")


def test_a_process_that_dies_is_replaced_and_its_death_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    processes = WorkerProcesses(serving(tmp_path), 2)
    supervisor = threading.Thread(target=processes.run, daemon=True)
    caplog.set_level(logging.ERROR, logger="chariots_core.workers.kit.processes")
    supervisor.start()
    try:
        first = eventually(lambda: len(processes.pids) == 2 and processes.pids, what="2 workers")
        os.kill(first[0], signal.SIGKILL)
        replaced = eventually(
            lambda: len(set(processes.pids) - set(first)) == 1 and processes.pids,
            what="a replacement",
        )
        assert first[1] in replaced
        assert all(alive(pid) for pid in replaced)
        assert any("died (killed by SIGKILL); starting another" in m for m in caplog.messages)
    finally:
        processes.ask_to_stop()
        supervisor.join(timeout=30)
    assert not supervisor.is_alive()
    assert processes.pids == []


def test_supervision_gives_up_when_processes_die_as_they_start() -> None:
    processes = WorkerProcesses(lambda ready: os._exit(3), 1, max_failed_starts=2)

    with pytest.raises(WorkerProcessesFailed):
        processes.run()

    assert processes.pids == []


def test_replacements_that_fail_to_start_end_the_supervision(tmp_path: Path) -> None:
    marker = tmp_path / "started-once"

    def once(ready: Callable[[], None]) -> None:
        if marker.exists():
            os._exit(3)  # every replacement dies before it is ready
        marker.touch()
        ready()
        os._exit(1)  # the first one dies after starting

    processes = WorkerProcesses(once, 1, max_failed_starts=2)

    with pytest.raises(WorkerProcessesFailed, match="2 worker processes in a row died before"):
        processes.run()


def test_a_worker_process_stops_when_its_parent_dies(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, signal, threading
        from pathlib import Path
        from chariots_core.workers.kit import WorkerProcesses

        def target(ready):
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *args: stop.set())
            Path({str(tmp_path)!r}, "worker").write_text(str(os.getpid()))
            ready()
            stop.wait(600)

        WorkerProcesses(target, 1).start()
        Path({str(tmp_path)!r}, "parent").touch()
        threading.Event().wait(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        eventually(lambda: (tmp_path / "parent").exists(), what="the parent ready")
        worker = int((tmp_path / "worker").read_text())
        assert worker in descendants(parent.pid)
    finally:
        parent.kill()
        parent.wait()

    eventually(lambda: not alive(worker), what="the orphaned worker stopped")


def test_background_workers_stop_every_process_they_started(tmp_path: Path) -> None:
    background = BackgroundWorkers("test-background")
    background.start(serving(tmp_path), 1)
    background.start(serving(tmp_path), 2)
    pids = background.pids
    assert len(pids) == 3

    background.stop(timeout=10)

    assert background.pids == []
    assert not any(alive(pid) for pid in pids)


# -- the roster ----------------------------------------------------------------------------------


@pytest.fixture
def database(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    yield database
    database.dispose()


def test_the_roster_counts_the_workers_that_beat_within_the_timeout(database: Database) -> None:
    roster = WorkerRoster(database, "demo:jobs", heartbeat_timeout=2.0)
    other_queue = WorkerRoster(database, "demo:other", heartbeat_timeout=2.0)
    roster.join(["a", "b"])
    other_queue.join(["c"])
    assert (roster.count_alive(), other_queue.count_alive()) == (2, 1)
    assert roster.beat_interval == 0.5

    with database.session() as session:  # b went silent long ago
        record = session.get(WorkerRecord, "b")
        assert record is not None
        record.heartbeat_at = utc_now() - timedelta(seconds=60)
    assert roster.count_alive() == 1
    roster.beat(["a"])  # removes the dead
    with database.session() as session:
        assert session.get(WorkerRecord, "b") is None
    roster.leave("a")
    assert (roster.count_alive(), other_queue.count_alive()) == (0, 1)


def test_membership_beats_for_its_workers_and_signs_them_off(database: Database) -> None:
    roster = WorkerRoster(database, "demo:jobs", heartbeat_timeout=0.4)

    with roster.membership(["a"]):
        with database.session() as session:  # as if it had not beaten for a minute
            record = session.get(WorkerRecord, "a")
            assert record is not None
            record.heartbeat_at = utc_now() - timedelta(seconds=60)
        assert roster.count_alive() == 0
        eventually(lambda: roster.count_alive() == 1, what="the membership beating again")

    assert roster.count_alive() == 0
