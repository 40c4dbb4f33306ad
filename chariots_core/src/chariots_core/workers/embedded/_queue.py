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
from typing import Any

from sqlalchemy import delete, func, or_, select, update

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

    def row_of(self, message: JobMessage) -> QueuedMessage:
        """The queue's row for the message, available after its ``delay`` option, with its
        ``priority`` (for :meth:`put`, or to write with the job's record)."""
        delay = message.options.delay or 0.0
        return QueuedMessage(
            job_id=message.job_id,
            queue=self.name,
            message=message.to_json(),
            priority=message.options.priority,
            available_at=utc_now() + timedelta(seconds=delay),
        )

    def put(self, message: JobMessage) -> None:
        """Add the message, available after its ``delay`` option, with its ``priority``."""
        self.database.ensure_created()
        with self.database.session() as session:
            session.add(self.row_of(message))
        self.wake()

    def wake(self) -> None:
        """Wake this process's workers idle on the queue (a message was put)."""
        _signal_of(self.database, self.name).notify()

    def wait_for_put(self, timeout: float) -> None:
        """Sleep until a message is put on the queue in this process, or ``timeout`` seconds
        (a message put by another process is found at the next look)."""
        _signal_of(self.database, self.name).wait(timeout)

    def take(self, worker_id: str, live_since: datetime) -> TakenMessage | None:
        """Take the next available message for ``worker_id``: highest priority, then earliest
        available, then first put. Messages held by workers that have not beaten since
        ``live_since`` count as free."""
        now = utc_now()
        live_workers = select(WorkerRecord.id).where(WorkerRecord.heartbeat_at >= live_since)
        self.database.ensure_created()
        with self.database.session(readonly=True) as session:
            candidates = session.execute(
                select(QueuedMessage.id, QueuedMessage.taken_by)
                .where(
                    QueuedMessage.queue == self.name,
                    QueuedMessage.available_at <= now,
                    or_(
                        QueuedMessage.taken_by.is_(None),
                        QueuedMessage.taken_by.not_in(live_workers),
                    ),
                )
                .order_by(
                    QueuedMessage.priority.desc(), QueuedMessage.available_at, QueuedMessage.id
                )
                .limit(_CANDIDATES)
            ).all()
        for row_id, taken_by in candidates:
            still_free = (
                QueuedMessage.taken_by.is_(None)
                if taken_by is None
                else QueuedMessage.taken_by == taken_by
            )
            take = (
                update(QueuedMessage)
                .where(QueuedMessage.id == row_id, still_free)
                .values(taken_by=worker_id, taken_at=now)
                .execution_options(synchronize_session=False)
            )
            with self.database.session() as session:
                if self.database.engine.dialect.update_returning:  # one statement
                    text = session.scalar(take.returning(QueuedMessage.message))
                    if text is not None:
                        return TakenMessage(row_id, text, taken_by)
                    continue
                result = session.execute(take)
                if _rowcount(result) == 1:
                    text = session.scalar(
                        select(QueuedMessage.message).where(QueuedMessage.id == row_id)
                    )
                    assert text is not None
                    return TakenMessage(row_id, text, taken_by)
        return None

    def delete(self, row_id: int, worker_id: str) -> None:
        """Remove a message its worker is done with (unless another worker has it now)."""
        with self.database.session() as session:
            session.execute(
                delete(QueuedMessage).where(
                    QueuedMessage.id == row_id, QueuedMessage.taken_by == worker_id
                )
            )

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


class _PutSignal:
    """Messages put on one queue in this process, counted, for the workers idle on it."""

    def __init__(self) -> None:
        self.count = 0
        self.condition = threading.Condition()

    def notify(self) -> None:
        with self.condition:
            self.count += 1
            self.condition.notify_all()

    def wait(self, timeout: float) -> None:
        with self.condition:
            seen = self.count
            self.condition.wait_for(lambda: self.count != seen, timeout)


_signals: weakref.WeakKeyDictionary[Database, dict[str, _PutSignal]] = weakref.WeakKeyDictionary()
_signals_lock = threading.Lock()


def _signal_of(database: Database, queue: str) -> _PutSignal:
    with _signals_lock:
        return _signals.setdefault(database, {}).setdefault(queue, _PutSignal())


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
