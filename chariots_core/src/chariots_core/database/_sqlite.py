"""How chariots sets up SQLite so that several processes can share one database file."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection

#: Seconds a SQLite connection waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT = 30.0

#: Execution option read by the ``begin`` hook: ``DEFERRED``, ``IMMEDIATE`` (default) or
#: ``EXCLUSIVE``.
SQLITE_BEGIN_OPTION = "chariots_sqlite_begin"
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


def _use_wal(cursor: Any) -> None:
    """Put the file in WAL mode, unless it is already (a read: no lock to wait for). Switching
    takes a lock that SQLite's busy timeout does not wait for, and processes opening a new file
    together race for it: the switch is tried again until the busy timeout."""
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(0.01)  # another connection holds the file for a moment (it makes it WAL)


def configure_sqlite(engine: Engine) -> None:
    """WAL, busy timeout and foreign keys on each connection; chariots emits BEGIN itself.

    The sqlite3 driver's own transaction handling starts no transaction before DDL or SELECT;
    taking it over (SQLAlchemy's documented recipe) makes migrations transactional, and lets
    writing transactions take the write lock up front (``BEGIN IMMEDIATE``): a second writer then
    waits on the busy timeout instead of failing when it tries to upgrade a read lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = str(connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE"))
        if mode.upper() not in _BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN_OPTION} must be one of {sorted(_BEGIN_MODES)}")
        connection.exec_driver_sql(f"BEGIN {mode.upper()}")
