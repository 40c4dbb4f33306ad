"""`Database`: one engine and its sessions, shared by the op store and the job store."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, pool
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from chariots_core.database import _migrations
from chariots_core.database._doorbell import Doorbell, doorbell_for
from chariots_core.database._liveness import check_connections_at_checkout
from chariots_core.database._sqlite import (
    SQLITE_BEGIN_OPTION,
    SQLITE_BUSY_TIMEOUT,
    configure_sqlite,
)
from chariots_core.database._urls import is_sqlite_memory, normalize_url, sqlite_file_path


class Database:
    """A SQLAlchemy engine and sessionmaker for one database URL, with chariots' schema.

    SQLite files run in WAL mode with a busy timeout and foreign keys on, and their writing
    transactions start with ``BEGIN IMMEDIATE``, so that several processes can share one file;
    the file's folder is created when missing. ``postgresql://`` URLs use psycopg 3; a pooled
    connection the server dropped (it restarted, or ended the session) is replaced before use,
    with a ping only when its socket cannot tell or it sat idle for a while (``engine_options``
    given ``pool_pre_ping`` have SQLAlchemy's ping before every use, or no check, instead).

    The schema is made by Alembic migrations shipped in the package (:meth:`create_all`), tracked
    in the table ``chariots_alembic_version`` so that it does not meet an application's own.
    """

    def __init__(self, url: str | URL, *, engine_options: Mapping[str, Any] | None = None) -> None:
        self.url = normalize_url(url)
        options: dict[str, Any] = {}
        sqlite_path = sqlite_file_path(self.url)
        if sqlite_path is not None:
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        if self.url.get_backend_name() == "sqlite":
            options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
            if is_sqlite_memory(self.url):
                # One shared connection, or each checkout would see a different empty database.
                options["poolclass"] = pool.StaticPool
                options["connect_args"]["check_same_thread"] = False
        options.update(engine_options or {})
        self.engine: Engine = create_engine(self.url, **options)
        if self.url.get_backend_name() != "sqlite" and "pool_pre_ping" not in options:
            # a pooled connection to a server may have been dropped: replace it before use,
            # pinging only where its socket cannot tell (a file database's connections cannot be
            # dropped, and a ping before each session was one statement more)
            check_connections_at_checkout(self.engine)
        if self.url.get_backend_name() == "sqlite":
            configure_sqlite(self.engine)
        self._readonly_engine = self.engine.execution_options(
            **_readonly_options(self.dialect_name)
        )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readonly_sessions = sessionmaker(self._readonly_engine, expire_on_commit=False)
        self._created = False
        self._created_lock = threading.Lock()
        #: rings between the processes sharing this database (a job ended, a message was put)
        self.doorbell: Doorbell = doorbell_for(self.engine)
        _databases.add(self)

    @property
    def dialect_name(self) -> str:
        """``"sqlite"``, ``"postgresql"``, ..."""
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on error.

        ``readonly=True`` is for sessions that only read: on SQLite they take no write lock
        (plain ``BEGIN``), on PostgreSQL they run in a read-only transaction.
        """
        factory = self._readonly_sessions if readonly else self._sessions
        with factory() as session, session.begin():
            yield session

    @contextmanager
    def connection(self, *, readonly: bool = False) -> Iterator[Connection]:
        """A Core connection in one transaction, committed on success and rolled back on error
        (``readonly`` as for :meth:`session`). The job path runs on these with statements built
        once: an ORM session costs about three times as much per statement."""
        with (self._readonly_engine if readonly else self.engine).begin() as connection:
            yield connection

    def create_all(self) -> None:
        """Bring the schema to the latest migration; a no-op when it is there already.

        Safe when several processes call it at once on the same database: the upgrade runs
        under a database-wide lock (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite).
        """
        self.upgrade("head")
        self._created = True

    def ensure_created(self) -> None:
        """Run :meth:`create_all` once for this object (what stores call before first use)."""
        if self._created:
            return
        with self._created_lock:
            if not self._created:
                self.create_all()

    def upgrade(self, revision: str = "head") -> None:
        """Run the migrations up to ``revision`` (``"head"``: the latest)."""
        _migrations.upgrade(self.engine, revision)

    def downgrade(self, revision: str) -> None:
        """Undo migrations down to ``revision`` (``"base"``: drop every chariots table)."""
        _migrations.downgrade(self.engine, revision)
        self._created = False

    def current_revision(self) -> str | None:
        """The migration the database is at; ``None`` when chariots never migrated it."""
        return _migrations.current_revision(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection (call it in a child process after a fork, or at exit),
        and stop listening on the doorbell for this object."""
        self.doorbell.close()
        self.engine.dispose()


#: every Database of this process, so that a forked child can drop their connections
_databases: weakref.WeakSet[Database] = weakref.WeakSet()


def _forget_connections_in_child() -> None:
    """After a fork, leave the parent's pooled connections to the parent: a child that used them
    would share their sockets (PostgreSQL) or file locks (SQLite). SQLAlchemy's recipe."""
    for database in list(_databases):
        database.engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_connections_in_child)


def close_sqlite_connections() -> None:
    """Close the idle pooled connections of every SQLite file database of this process.

    Call it before forking a child that will use those files (a work horse): SQLite keeps its
    lock bookkeeping per process and per file while any connection to the file is open, and a
    child inherits it and trusts it, so that it can wait on a lock nobody holds ("database is
    locked") or skip one it needs. Connections other threads are using stay open: fork from a
    process where no other thread uses SQLite at that moment.
    """
    for database in list(_databases):
        if database.dialect_name == "sqlite" and not is_sqlite_memory(database.url):
            database.engine.dispose()


def _readonly_options(dialect_name: str) -> dict[str, Any]:
    if dialect_name == "sqlite":
        return {SQLITE_BEGIN_OPTION: "DEFERRED"}
    if dialect_name == "postgresql":
        return {"postgresql_readonly": True}
    return {}
