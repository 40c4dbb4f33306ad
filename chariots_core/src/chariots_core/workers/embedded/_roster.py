"""`WorkerRoster`: the workers listening on a queue, each alive while its heartbeat is fresh."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select, update

from chariots_core.database import Database, utc_now
from chariots_core.workers.embedded._models import WorkerRecord


class WorkerRoster:
    """The rows of ``chariots_embedded_workers`` for one queue."""

    def __init__(self, database: Database, queue: str) -> None:
        self.database = database
        self.queue = queue

    def join(self, worker_ids: Collection[str]) -> None:
        """Record new workers as alive now."""
        now = utc_now()
        self.database.ensure_created()
        with self.database.session() as session:
            session.add_all(
                WorkerRecord(id=worker_id, queue=self.queue, started_at=now, heartbeat_at=now)
                for worker_id in worker_ids
            )

    def beat(self, worker_ids: Collection[str], dead_before: datetime) -> None:
        """Say these workers are alive (recording again any whose row was removed), and remove
        the rows of this queue's workers that have not beaten since ``dead_before``."""
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
                    WorkerRecord.queue == self.queue, WorkerRecord.heartbeat_at < dead_before
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

    def count_alive(self, live_since: datetime) -> int:
        """How many of the queue's workers have beaten since ``live_since``."""
        self.database.ensure_created()
        with self.database.session(readonly=True) as session:
            count = session.scalar(
                select(func.count())
                .select_from(WorkerRecord)
                .where(WorkerRecord.queue == self.queue, WorkerRecord.heartbeat_at >= live_since)
            )
            return int(count or 0)
