"""`Database`: URLs, SQLite set-up for several processes, sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError

from chariots_core.database import Database
from chariots_core.op_store._models import OpRecord


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg_3(scheme: str) -> None:
    database = Database(f"{scheme}://user:secret@db.example:5432/chariots")
    assert database.url.drivername == "postgresql+psycopg"
    assert "secret" not in repr(database)
    database.dispose()


def test_sqlite_file_is_set_up_for_several_processes(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'missing' / 'folders' / 'chariots.db'}")
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    assert (tmp_path / "missing" / "folders" / "chariots.db").is_file()
    database.dispose()


def test_in_memory_sqlite_keeps_one_database(tmp_path: Path) -> None:
    database = Database("sqlite://")
    database.create_all()
    with database.session() as session:
        session.add(OpRecord(name="op"))
    with database.session(readonly=True) as session:
        assert session.scalars(select(OpRecord.name)).all() == ["op"]
    database.dispose()


def test_session_commits_or_rolls_back(database_url: str) -> None:
    database = Database(database_url)
    database.create_all()
    with database.session() as session:
        session.add(OpRecord(name="kept"))

    def add_then_fail() -> None:
        with database.session() as session:
            session.add(OpRecord(name="rolled_back"))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()
    with database.session(readonly=True) as session:
        assert session.scalars(select(OpRecord.name)).all() == ["kept"]
    database.dispose()


def test_sqlite_transactions_are_real_transactions(sqlite_url: str) -> None:
    """The sqlite3 driver's legacy mode would autocommit DDL; chariots emits BEGIN itself."""
    database = Database(sqlite_url)

    def create_then_fail() -> None:
        with database.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
            raise RuntimeError("roll the DDL back")

    with pytest.raises(RuntimeError, match="roll the DDL back"):
        create_then_fail()
    with database.engine.connect() as connection:
        assert (
            connection.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'scratch'"
            ).scalar()
            == 0
        )
    database.dispose()


def test_readonly_sessions_cannot_write_on_postgresql(postgres_url: str) -> None:
    database = Database(postgres_url)
    database.create_all()
    with pytest.raises(DBAPIError, match="read-only"), database.session(readonly=True) as session:
        session.execute(text("INSERT INTO chariots_ops (name) VALUES ('op')"))
    database.dispose()


def test_sqlite_writers_take_the_write_lock_up_front_and_readers_do_not(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    statements: list[str] = []
    event.listen(
        database.engine,
        "before_cursor_execute",
        lambda connection, cursor, statement, *args: statements.append(statement),
    )
    with database.session() as session:
        session.execute(text("SELECT 1"))
    with database.session(readonly=True) as session:
        session.execute(text("SELECT 2"))
    begins = [statement for statement in statements if statement.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]
    database.dispose()
