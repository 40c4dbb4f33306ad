"""PostgreSQL dropping pooled connections (a restart, a session ended) costs no request an error,
and a pooled connection that is fine costs no ping (see ``chariots_core.database._liveness``).

Connections are dropped as a restart drops them, seen from the client: the server ends their
sessions and closes their sockets (``pg_terminate_backend``, which waits until they are gone).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from chariots_core.database import Database, _liveness
from chariots_core.jobs import JobStore
from chariots_core.op_store import OpStore
from chariots_core.pipelines import PipelinesServer


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """These tests are PostgreSQL's: the shared ``database`` fixture is made on it."""
    return postgres_url


@pytest.fixture
def pings(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The pings sent before sessions (each a round trip), as they are sent."""
    sent: list[object] = []
    ping = database.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted)
    return sent


def backend_pid(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def end_sessions(server_url: URL, pids: list[int]) -> None:
    """End these server processes, as a restart would, and return once they are gone."""
    admin = create_engine(server_url)
    try:
        with admin.connect() as connection:
            for pid in pids:
                ended = connection.execute(
                    text("SELECT pg_terminate_backend(:pid, 30000)"), {"pid": pid}
                )
                assert ended.scalar_one() is True, f"backend {pid} did not end"
    finally:
        admin.dispose()


def test_a_pooled_connection_in_use_is_not_pinged(
    database: Database, pings: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_liveness, "PING_IDLE_AFTER", 3600.0)  # however slow this machine
    store = JobStore(database)
    job = store.create("app", "train")
    for _ in range(5):
        assert store.get(job.id) == job
    assert store.list_jobs(app="app").jobs == [job]
    assert pings == []


def test_a_connection_the_server_ended_is_replaced_before_use(
    database: Database,
    pings: list[object],
    postgres_server_url: URL,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its socket tells at once (the server's goodbye, then end of file): the check pings it,
    the ping fails, and the session runs on a new connection."""
    monkeypatch.setattr(_liveness, "PING_IDLE_AFTER", 3600.0)  # only the socket can tell
    store = JobStore(database)
    job = store.create("app", "train")
    before = backend_pid(database)

    end_sessions(postgres_server_url, [before])

    assert store.get(job.id) == job
    assert len(pings) == 1
    assert backend_pid(database) != before


def test_a_connection_idle_for_a_while_is_pinged_however_quiet(
    database: Database,
    pings: list[object],
    postgres_server_url: URL,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A network in between may forget a connection without a word to either end: one idle
    longer than ``PING_IDLE_AFTER`` is pinged even when its socket says nothing."""
    monkeypatch.setattr(_liveness, "PING_IDLE_AFTER", 0.0)
    monkeypatch.setattr(_liveness, "has_news", lambda dbapi_connection: False)
    store = JobStore(database)
    job = store.create("app", "train")
    end_sessions(postgres_server_url, [backend_pid(database)])
    pings.clear()

    assert store.get(job.id) == job
    assert len(pings) == 1  # it failed, and a new connection took its place


def test_a_server_restart_fails_no_request(
    tmp_path: Path, postgres_url: str, postgres_server_url: URL
) -> None:
    """Every pooled connection of a server's job store ends at once, as in a restart; the next
    requests, one after another and several at once, all succeed."""
    app = PipelinesServer(
        [],
        op_store_client=OpStore(path=tmp_path),
        job_store=JobStore(postgres_url),
        import_name="restart_test",
    )
    assert app.job_store is not None
    http = app.test_client()
    jobs = [app.job_store.create(app.name, "train") for _ in range(3)]
    engine = app.job_store.database.engine
    held = [engine.connect() for _ in range(3)]  # three pooled connections
    pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in held]
    for connection in held:
        connection.close()

    end_sessions(postgres_server_url, pids)

    for job in jobs:
        assert http.get(f"/jobs/{job.id}").status_code == 200
    assert http.get("/jobs").get_json()["total"] == 3
    app.job_store.database.dispose()


def test_without_the_check_a_dropped_connection_fails_its_request(
    postgres_url: str, postgres_server_url: URL
) -> None:
    """What the check is for (and the proof that ending a session drops a pooled connection):
    with no check at all, the first session after the drop fails."""
    database = Database(postgres_url, engine_options={"pool_pre_ping": False})
    store = JobStore(database)
    job = store.create("app", "train")
    end_sessions(postgres_server_url, [backend_pid(database)])
    with pytest.raises(OperationalError):
        store.get(job.id)
    assert store.get(job.id) == job  # the failure threw the pool's connections away
    database.dispose()
