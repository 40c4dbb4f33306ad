"""`WorkerRoster`: the workers alive on a queue, for backends that cannot list their own.

Some brokers know their consumers (RQ registers its workers in Redis, Celery's workers answer a
ping); others do not (Dramatiq, a queue on files, a database table). Their pools count workers
from this roster: a row per worker in the app's database, kept fresh by the worker's heartbeat
and removed when it stops; a worker whose heartbeat is older than ``heartbeat_timeout`` is dead,
and the next beat of any worker of the queue removes its row. ``count_alive`` is one indexed
``SELECT``: it answers within the database's own timeouts, whether or not any worker is there.

Name the queue after the backend and the broker's queue (``dramatiq:default``), so that pools of
several backends can share one database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from chariots_core.database import Base, Database, UTCDateTime, utc_now
from chariots_core.jobs import DEFAULT_HEARTBEAT_TIMEOUT

__all__ = ["InlineHeartbeat", "WorkerRecord", "WorkerRoster"]

logger = logging.getLogger(__name__)


class WorkerRecord(Base):
    """A worker alive on a queue, as long as its heartbeat is fresh. (The table's name is the
    embedded pool's, which had it first: migration ``0003``.)"""

    __tablename__ = "chariots_embedded_workers"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    queue: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_chariots_embedded_workers_queue", "queue", "heartbeat_at"),)


class WorkerRoster:
    """The roster of one queue: join, beat, leave, count.

    ``heartbeat_timeout`` should be the app's job store's (a worker silent that long is dead, as
    its jobs are then lost); workers beat every :attr:`beat_interval`.
    """

    def __init__(
        self,
        database: Database,
        queue: str,
        *,
        heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
    ) -> None:
        self.database = database
        self.queue = queue
        self.heartbeat_timeout = heartbeat_timeout

    @property
    def beat_interval(self) -> float:
        """Seconds between two beats: a quarter of the timeout, at most a second."""
        return min(1.0, self.heartbeat_timeout / 4)

    def live_since(self) -> datetime:
        """Workers that have not beaten since then are dead."""
        return utc_now() - timedelta(seconds=self.heartbeat_timeout)

    def join(self, worker_ids: Collection[str]) -> None:
        """Record new workers as alive now."""
        now = utc_now()
        self.database.ensure_created()
        with self.database.session() as session:
            session.add_all(
                WorkerRecord(id=worker_id, queue=self.queue, started_at=now, heartbeat_at=now)
                for worker_id in worker_ids
            )

    def beat(self, worker_ids: Collection[str]) -> None:
        """Say these workers are alive (recording again any whose row was removed), and remove
        the rows of this queue's dead workers."""
        now = utc_now()
        with self.database.session() as session:
            session.execute(
                update(WorkerRecord)
                .where(WorkerRecord.id.in_(worker_ids))
                .values(heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                delete(WorkerRecord).where(
                    WorkerRecord.queue == self.queue, WorkerRecord.heartbeat_at < self.live_since()
                )
            )
            present = set(
                session.scalars(select(WorkerRecord.id).where(WorkerRecord.id.in_(worker_ids)))
            )
            session.add_all(
                WorkerRecord(id=worker_id, queue=self.queue, started_at=now, heartbeat_at=now)
                for worker_id in worker_ids
                if worker_id not in present
            )

    def leave(self, worker_id: str) -> None:
        """Remove a worker that stopped cleanly."""
        with self.database.session() as session:
            session.execute(delete(WorkerRecord).where(WorkerRecord.id == worker_id))

    def count_alive(self) -> int:
        """How many of the queue's workers have beaten within the heartbeat timeout."""
        self.database.ensure_created()
        with self.database.session(readonly=True) as session:
            count = session.scalar(
                select(func.count())
                .select_from(WorkerRecord)
                .where(
                    WorkerRecord.queue == self.queue, WorkerRecord.heartbeat_at >= self.live_since()
                )
            )
            return int(count or 0)

    @contextmanager
    def membership(self, worker_ids: Collection[str]) -> Iterator[None]:
        """Within the block, the workers are on the roster, beaten for by a daemon thread; they
        leave it at the end. For worker processes that may run threads beside their jobs."""
        self.join(worker_ids)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.beat_interval):
                try:
                    self.beat(worker_ids)
                except Exception:  # a missed beat is retried at the next interval
                    logger.warning("the roster heartbeat of %s failed", worker_ids, exc_info=True)

        thread = threading.Thread(target=beat, name="chariots-roster-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            for worker_id in worker_ids:
                try:
                    self.leave(worker_id)
                except Exception:  # its row goes stale and another worker's beat removes it
                    logger.warning("worker %s could not sign off", worker_id, exc_info=True)


class InlineHeartbeat:
    """The heartbeat of one worker, called from its own loop (it beats at most every beat
    interval): for a forking worker, which keeps other threads away from the database."""

    def __init__(self, roster: WorkerRoster, worker_id: str) -> None:
        self.roster = roster
        self.worker_id = worker_id
        self._next = 0.0

    def __call__(self) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.roster.beat_interval
        try:
            self.roster.beat([self.worker_id])
        except Exception:  # a missed beat is retried at the next interval
            logger.warning("heartbeat of worker %s failed", self.worker_id, exc_info=True)
