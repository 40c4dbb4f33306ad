"""The embedded pool's queue table (its workers are on the kit's roster).

Made by the migration ``0003`` of :mod:`chariots_core.database` (so every chariots database has
them, whichever pool its apps use).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chariots_core.database import Base, UTCDateTime


class QueuedMessage(Base):
    """A job message waiting on a queue, or in the hands of the worker ``taken_by``."""

    __tablename__ = "chariots_embedded_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_by: Mapped[str | None] = mapped_column(String(255))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_chariots_embedded_queue_job_id", "job_id"),)


#: the order workers take messages in (migration ``0009``): a take reads only what it considers
Index(
    "ix_chariots_embedded_queue_order",
    QueuedMessage.queue,
    QueuedMessage.priority.desc(),
    QueuedMessage.available_at,
    QueuedMessage.id,
)
