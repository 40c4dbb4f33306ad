"""Database fixtures: a fresh SQLite file, or a fresh PostgreSQL schema, for each test.

PostgreSQL is found by the core's test service (``chariots_postgres_url``: at
``$CHARIOTS_TEST_POSTGRES_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
tests that need it are skipped, with the URL in the reason, when nothing answers there (or fail,
when ``$CHARIOTS_TEST_REQUIRE_SERVICES`` is set). Each test gets a schema of its own (a unique name,
put first on the ``search_path`` of every connection made from :func:`postgres_url`), dropped at
teardown, so that runs sharing one database do not meet.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from chariots_core.database import Database, normalize_url
from chariots_core.jobs import JobStore
from chariots_core.testing.services import postgres_schema


@pytest.fixture(scope="session")
def postgres_server_url(chariots_postgres_url: str) -> URL:
    """The reachable PostgreSQL test database (the core's test service: skipped with the reason
    when there is none, failed where services are required)."""
    return normalize_url(chariots_postgres_url)


@pytest.fixture
def postgres_url(postgres_server_url: URL) -> Iterator[str]:
    """A URL to a PostgreSQL schema of this test's own, empty, dropped at teardown."""
    with postgres_schema(postgres_server_url.render_as_string(hide_password=False)) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to a SQLite file (not created yet) in this test's temporary folder."""
    return f"sqlite:///{tmp_path / 'db' / 'chariots.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh database of each kind in turn: a SQLite file, then a PostgreSQL schema."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param]
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A :class:`Database` on :func:`database_url`, disposed at teardown."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def store(database: Database) -> JobStore:
    """A job store on :func:`database`."""
    return JobStore(database)


class ProcessesTogether:
    """Runs Python scripts in subprocesses that start their real work at the same moment.

    Each script prints ``ready`` once it is set up, then waits for a line on stdin; when every
    process is ready, each gets ``go`` at once. No sleeps: the processes meet on pipes.
    """

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout

    def run(self, script: str, args_per_process: list[list[str]]) -> list[str]:
        """Run ``script`` once per argument list; return each process's output after ``go``."""
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args in args_per_process
        ]
        try:
            for process in processes:
                assert process.stdout is not None
                line = process.stdout.readline()
                if line.strip() != "ready":
                    _, errors = process.communicate(timeout=self.timeout)
                    raise AssertionError(f"a process failed before it was ready: {errors}")
            for process in processes:
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            outputs = []
            for process in processes:
                output, errors = process.communicate(timeout=self.timeout)
                assert process.returncode == 0, f"a process failed:\n{errors}"
                outputs.append(output)
            return outputs
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()


@pytest.fixture
def processes_together() -> ProcessesTogether:
    """Start Python scripts in several processes and let them go at once (see the class)."""
    return ProcessesTogether()
