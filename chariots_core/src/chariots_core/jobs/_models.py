"""The job store's tables: one record a job, and a tombstone for each record removed by its TTL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chariots_core.database import Base, JSONDocument, UTCDateTime


class JobRecord(Base):
    """A job: the single source of truth about it, whichever backend carried it."""

    __tablename__ = "chariots_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    app: Mapped[str] = mapped_column(String(255))
    pipeline: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    native_status: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker_id: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_done: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    error_type: Mapped[str | None] = mapped_column(String(255))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_traceback: Mapped[str | None] = mapped_column(Text)
    versions_loaded: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    versions_saved: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the SHA-256 of the job's message (its canonical JSON), taken at submit: a worker claims
    #: the job only with a message of this digest
    message_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: the message's canonical JSON, which the core sends again when a dead worker's job is to
    #: run again or the broker lost the message
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the bound on the job's runs: its first and its retries (a run whose worker died counts)
    max_attempts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: when the job last became queued (submitted, a retry, its worker died)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: how many times the core sent the job's message again
    resubmits: Mapped[int] = mapped_column(Integer, default=0)
    #: whether the job is queued again after its worker died and its message is to be sent again
    resend: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_chariots_jobs_status_heartbeat", "status", "heartbeat_at"),
        Index("ix_chariots_jobs_expires_at", "expires_at"),
        Index("ix_chariots_jobs_status_queued", "status", "queued_at"),
        # GET /jobs: an app's jobs newest first (id breaks ties), filtered by nothing, a
        # pipeline, a status or both; each filter has an index in that order (migration 0008)
        Index("ix_chariots_jobs_app_submitted", "app", "submitted_at", "id"),
        Index("ix_chariots_jobs_app_pipeline_submitted", "app", "pipeline", "submitted_at", "id"),
        Index("ix_chariots_jobs_app_status_submitted", "app", "status", "submitted_at", "id"),
        Index(
            "ix_chariots_jobs_app_pipeline_status_submitted",
            "app",
            "pipeline",
            "status",
            "submitted_at",
            "id",
        ),
    )


class JobTombstone(Base):
    """What is left of a job whose record its TTL removed: enough to answer 410, not 404."""

    __tablename__ = "chariots_job_tombstones"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    app: Mapped[str] = mapped_column(String(255))
    pipeline: Mapped[str] = mapped_column(String(255))
    expired_at: Mapped[datetime] = mapped_column(UTCDateTime)
