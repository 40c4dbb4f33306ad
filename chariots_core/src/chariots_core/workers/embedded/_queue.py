"""`MessageQueue`: job messages in a table, taken by one worker at a time.

Taking is a conditional ``UPDATE`` (compare-and-set on ``taken_by``) whose row count says who won,
so two workers — threads, processes, or machines on one PostgreSQL — never take the same message.
A message stays in the table while its worker runs it; one held by a worker whose heartbeat went
stale (see :class:`~chariots_core.workers.kit.WorkerRoster`) may be taken again.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, or_, select, update

from chariots_core.database import Database, utc_now
from chariots_core.jobs import JobMessage
from chariots_core.workers.embedded._models import QueuedMessage
from chariots_core.workers.kit.roster import WorkerRecord

#: how many candidates one attempt to take a message considers (others may win some of them)
_CANDIDATES = 8


@dataclass(frozen=True)
class TakenMessage:
    """A message a worker took: its row, its JSON text, and the worker it was taken from (a
    dead one) if it is a redelivery."""

    row_id: int
    text: str
    taken_from: str | None


class MessageQueue:
    """The messages of one named queue in the table ``chariots_embedded_queue``."""

    def __init__(self, database: Database, name: str) -> None:
        self.database = database
        self.name = name

    def values_of(self, message: JobMessage) -> dict[str, Any]:
        """The queue's row for the message, available after its ``delay`` option, with its
        ``priority``."""
        delay = message.options.delay or 0.0
        return {
            "job_id": message.job_id,
            "queue": self.name,
            "message": message.to_json(),
            "priority": message.options.priority,
            "available_at": utc_now() + timedelta(seconds=delay),
        }

    def put(self, message: JobMessage) -> None:
        """Add the message, available after its ``delay`` option, with its ``priority``."""
        self.database.ensure_created()
        with self.database.connection() as connection:
            self.put_within(connection, message)
        self.wake()

    def put_within(self, connection: Connection, message: JobMessage) -> None:
        """Add the message in a transaction of the queue's database that another write holds
        open (the job's record: one write for both); the caller wakes the workers once it is
        committed (:meth:`wake`)."""
        connection.execute(_INSERT_SQL, self.values_of(message))

    def wake(self) -> None:
        """Wake the workers idle on the queue (a message was put): this process's at once,
        other processes' through the database's doorbell."""
        _signal_of(self.database, self.name).notify()
        self.database.doorbell.ring(self._channel)

    def nudge(self) -> None:
        """Wake this process's workers idle on the queue, to see that they are to stop."""
        _signal_of(self.database, self.name).notify()

    def puts_seen(self) -> int:
        """A mark to pass to :meth:`wait_for_put`: read it before looking at the queue (a put
        after it, here or rung by another process, ends the wait at once)."""
        signal = _signal_of(self.database, self.name)
        self.database.doorbell.listen(self._channel, signal.notify)
        return signal.count

    def wait_for_put(self, timeout: float, seen: int | None = None) -> None:
        """Sleep until a message is put on the queue (since ``seen``, from :meth:`puts_seen`,
        when given), or ``timeout`` seconds: a put in this process, or in another that shares
        the database's doorbell, wakes the sleeper; one elsewhere is found at the next look."""
        _signal_of(self.database, self.name).wait(timeout, seen)

    @property
    def _channel(self) -> str:
        return f"put:{self.name}"

    def take(self, worker_id: str, live_since: datetime) -> TakenMessage | None:
        """Take the next available message for ``worker_id``: highest priority, then earliest
        available, then first put. Messages held by workers that have not beaten since
        ``live_since`` count as free."""
        now = utc_now()
        self.database.ensure_created()
        with self.database.connection(readonly=True) as connection:
            candidates = connection.execute(
                _CANDIDATES_SQL, {"p_queue": self.name, "p_now": now, "p_live": live_since}
            ).all()
        for row_id, taken_by in candidates:
            parameters = {"p_row": row_id, "p_from": taken_by, "p_worker": worker_id, "p_now": now}
            over = taken_by is not None
            with self.database.connection() as connection:
                if connection.dialect.update_returning:  # one statement
                    text = connection.scalar(_TAKE_RETURNING[over], parameters)
                    if text is not None:
                        return TakenMessage(row_id, text, taken_by)
                    continue
                if _rowcount(connection.execute(_TAKE[over], parameters)) == 1:
                    text = connection.scalar(_MESSAGE_SQL, parameters)
                    assert text is not None
                    return TakenMessage(row_id, text, taken_by)
        return None

    def delete(self, row_id: int, worker_id: str) -> None:
        """Remove a message its worker is done with (unless another worker has it now)."""
        with self.database.connection() as connection:
            connection.execute(_DELETE_SQL, {"p_row": row_id, "p_worker": worker_id})

    def release(self, row_id: int, worker_id: str, after: float) -> None:
        """Hand a message back to the queue, available again ``after`` seconds from now."""
        with self.database.session() as session:
            session.execute(
                update(QueuedMessage)
                .where(QueuedMessage.id == row_id, QueuedMessage.taken_by == worker_id)
                .values(
                    taken_by=None,
                    taken_at=None,
                    available_at=utc_now() + timedelta(seconds=after),
                )
                .execution_options(synchronize_session=False)
            )

    def remove_untaken(self, job_id: str) -> bool:
        """Remove the job's messages no worker has taken; whether there was one."""
        self.database.ensure_created()
        with self.database.session() as session:
            result = session.execute(
                delete(QueuedMessage).where(
                    QueuedMessage.queue == self.name,
                    QueuedMessage.job_id == job_id,
                    QueuedMessage.taken_by.is_(None),
                )
            )
            return _rowcount(result) > 0

    def holds(self, job_id: str) -> bool:
        """Whether a message of the job is in the queue, taken or not."""
        self.database.ensure_created()
        with self.database.session(readonly=True) as session:
            found = session.scalar(
                select(QueuedMessage.id)
                .where(QueuedMessage.queue == self.name, QueuedMessage.job_id == job_id)
                .limit(1)
            )
            return found is not None

    def __len__(self) -> int:
        """How many messages the queue holds, taken or not."""
        self.database.ensure_created()
        with self.database.session(readonly=True) as session:
            count = session.scalar(
                select(func.count())
                .select_from(QueuedMessage)
                .where(QueuedMessage.queue == self.name)
            )
            return int(count or 0)


_Q = cast(Table, QueuedMessage.__table__)
_W = cast(Table, WorkerRecord.__table__)
#: the next messages a worker may take (the job path's statements are built once: see
#: :mod:`chariots_core.jobs._statements`)
_CANDIDATES_SQL = (
    select(_Q.c.id, _Q.c.taken_by)
    .where(
        _Q.c.queue == bindparam("p_queue"),
        _Q.c.available_at <= bindparam("p_now"),
        or_(
            _Q.c.taken_by.is_(None),
            _Q.c.taken_by.not_in(select(_W.c.id).where(_W.c.heartbeat_at >= bindparam("p_live"))),
        ),
    )
    .order_by(_Q.c.priority.desc(), _Q.c.available_at, _Q.c.id)
    .limit(_CANDIDATES)
)
#: taking a message, by whether it is taken over from a dead worker (``p_from``); available
#: still: a message handed back for later (a retry's interval) between a worker's look and its
#: take must not be taken early
_TAKE = {
    over: update(_Q)
    .where(
        _Q.c.id == bindparam("p_row"),
        _Q.c.taken_by == bindparam("p_from") if over else _Q.c.taken_by.is_(None),
        _Q.c.available_at <= bindparam("p_now"),
    )
    .values(taken_by=bindparam("p_worker"), taken_at=bindparam("p_now"))
    for over in (False, True)
}
_TAKE_RETURNING = {over: take.returning(_Q.c.message) for over, take in _TAKE.items()}
_INSERT_SQL = insert(_Q)
_MESSAGE_SQL = select(_Q.c.message).where(_Q.c.id == bindparam("p_row"))
_DELETE_SQL = delete(_Q).where(
    _Q.c.id == bindparam("p_row"), _Q.c.taken_by == bindparam("p_worker")
)


class _PutSignal:
    """Messages put on one queue in this process, counted, for the workers idle on it."""

    def __init__(self) -> None:
        self.count = 0
        self.condition = threading.Condition()

    def notify(self) -> None:
        with self.condition:
            self.count += 1
            self.condition.notify_all()

    def wait(self, timeout: float, seen: int | None = None) -> None:
        with self.condition:
            mark = self.count if seen is None else seen
            self.condition.wait_for(lambda: self.count != mark, timeout)


_signals: weakref.WeakKeyDictionary[Database, dict[str, _PutSignal]] = weakref.WeakKeyDictionary()
_signals_lock = threading.Lock()


def _signal_of(database: Database, queue: str) -> _PutSignal:
    with _signals_lock:
        return _signals.setdefault(database, {}).setdefault(queue, _PutSignal())


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
