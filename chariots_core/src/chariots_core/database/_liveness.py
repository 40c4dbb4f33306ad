"""Pooled connections to a database server: replaced before use when the server dropped them.

SQLAlchemy's ``pool_pre_ping`` sends a statement before every checkout: one round trip more for
every session (on PostgreSQL, a lookup's fourth). This does what it does for a fraction of that,
as pgx's pool (Go) does: a connection that went back to the pool less than :data:`PING_IDLE_AFTER`
seconds ago is pinged only if its socket has something to read. An idle connection has nothing
to read unless the server hung up or spoke: a server that stops or restarts, or ends the session
(``pg_terminate_backend``, ``idle_session_timeout``), sends an error and closes the socket, which
a poll that does not wait sees at once. A connection idle longer is pinged as before, since a
network in between (a firewall, a NAT) may have forgotten it without telling either end.

A failed ping replaces the connection, and every other one pooled before it (as a failed
pre-ping does), so that a restarted server costs no request an error.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import Engine, event, exc

#: seconds a pooled connection may sit idle and still be used without a ping when its socket
#: is quiet (pgx pings connections idle for more than a second: the same)
PING_IDLE_AFTER = 1.0
#: the key of a pooled connection's ``info`` that says since when it is idle (monotonic)
_IDLE_SINCE = "chariots_idle_since"


def check_connections_at_checkout(engine: Engine) -> None:
    """Check each pooled connection of ``engine`` as it is taken from the pool (see the
    module); a new connection is not checked."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def idle_from_now(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None:  # a new connection: nothing to check
            return
        if time.monotonic() - idle_since < PING_IDLE_AFTER and not has_news(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.InvalidatePoolError(
                f"a pooled connection failed its check ({type(error).__name__}: {error})"
            ) from error


def has_news(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket has something to read (the server hung up, or sent
    an error or a notice), without waiting; true when the connection has no socket to look at
    (it is closed, or its driver does not say)."""
    try:
        fileno = int(dbapi_connection.fileno())
    except Exception:
        return True
    if fileno < 0:
        return True
    if hasattr(select, "poll"):  # no limit on the descriptor's number, unlike select()
        poller = select.poll()
        poller.register(fileno, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    readable, _, broken = select.select([fileno], [], [fileno], 0)
    return bool(readable or broken)
