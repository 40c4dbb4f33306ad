"""`Job`: a read-only view of a job's record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chariots_core.jobs._models import JobRecord
from chariots_core.jobs._status import JobStatus


@dataclass(frozen=True)
class Job:
    """Everything known about a job, as its record held it when read."""

    id: str
    app: str
    pipeline: str
    status: JobStatus
    native_status: str | None
    attempts: int
    options: dict[str, Any]
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker_id: str | None
    heartbeat_at: datetime | None
    progress: tuple[int, int] | None
    cancel_requested: bool
    result: Any
    error: dict[str, str | None] | None
    versions_loaded: dict[str, str] | None
    versions_saved: dict[str, str] | None
    expires_at: datetime | None
    #: the digest of the job's message (not shown to clients: see ``chariots_core.jobs``)
    message_digest: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_record(cls, record: JobRecord) -> Job:
        progress = None
        if record.progress_total is not None:
            progress = (record.progress_done or 0, record.progress_total)
        error = None
        if record.error_type is not None:
            error = {
                "type": record.error_type,
                "message": record.error_message,
                "traceback": record.error_traceback,
            }
        return cls(
            id=record.id,
            app=record.app,
            pipeline=record.pipeline,
            status=JobStatus(record.status),
            native_status=record.native_status,
            attempts=record.attempts,
            options=dict(record.options or {}),
            submitted_at=record.submitted_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
            worker_id=record.worker_id,
            heartbeat_at=record.heartbeat_at,
            progress=progress,
            cancel_requested=record.cancel_requested,
            result=record.result,
            error=error,
            versions_loaded=record.versions_loaded,
            versions_saved=record.versions_saved,
            expires_at=record.expires_at,
            message_digest=record.message_digest,
        )

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Job:
        """Read back what :meth:`to_json` wrote (clients read jobs this way)."""

        def when(value: str | None) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value)

        progress = payload.get("progress")
        submitted_at = when(payload["submitted_at"])
        assert submitted_at is not None
        return cls(
            id=payload["id"],
            app=payload["app"],
            pipeline=payload["pipeline"],
            status=JobStatus(payload["status"]),
            native_status=payload.get("native_status"),
            attempts=int(payload.get("attempts", 0)),
            options=dict(payload.get("options") or {}),
            submitted_at=submitted_at,
            started_at=when(payload.get("started_at")),
            finished_at=when(payload.get("finished_at")),
            worker_id=payload.get("worker_id"),
            heartbeat_at=when(payload.get("heartbeat_at")),
            progress=None if progress is None else (int(progress[0]), int(progress[1])),
            cancel_requested=bool(payload.get("cancel_requested")),
            result=payload.get("result"),
            error=payload.get("error"),
            versions_loaded=payload.get("versions_loaded"),
            versions_saved=payload.get("versions_saved"),
            expires_at=when(payload.get("expires_at")),
        )

    def to_json(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "app": self.app,
            "pipeline": self.pipeline,
            "status": self.status.value,
            "native_status": self.native_status,
            "attempts": self.attempts,
            "options": self.options,
            "submitted_at": when(self.submitted_at),
            "started_at": when(self.started_at),
            "finished_at": when(self.finished_at),
            "worker_id": self.worker_id,
            "heartbeat_at": when(self.heartbeat_at),
            "progress": None if self.progress is None else list(self.progress),
            "cancel_requested": self.cancel_requested,
            "result": self.result,
            "error": self.error,
            "versions_loaded": self.versions_loaded,
            "versions_saved": self.versions_saved,
            "expires_at": when(self.expires_at),
        }
