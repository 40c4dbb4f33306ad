"""Job records in bulk for the listing's tests: one insert, not a write transaction per job."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert

from chariots_core.database import utc_now
from chariots_core.jobs import JobStatus, JobStore
from chariots_core.jobs._models import JobRecord


def add_jobs(
    store: JobStore,
    count: int,
    *,
    app: str = "app",
    pipeline: str = "train",
    status: JobStatus = JobStatus.done,
    first: datetime | None = None,
    spacing: timedelta = timedelta(seconds=2),
) -> list[tuple[datetime, str]]:
    """Record ``count`` jobs, submitted ``spacing`` apart from ``first`` (by default, so that
    the last is submitted now); returns their listing keys (submitted_at, id), newest first, as
    a listing orders them: ``sorted(a + b, reverse=True)`` merges two batches."""
    now = utc_now()
    first = now - spacing * count if first is None else first
    finished = status.is_finished
    rows = [
        {
            "id": uuid.uuid4().hex,
            "app": app,
            "pipeline": pipeline,
            "status": status.value,
            "attempts": 1 if status is not JobStatus.queued else 0,
            "options": {},
            "submitted_at": first + spacing * index,
            "finished_at": now if finished else None,
            "expires_at": now + timedelta(days=7) if finished else None,
            "cancel_requested": False,
        }
        for index in range(count)
    ]
    store.database.ensure_created()
    with store.database.engine.begin() as connection:
        connection.execute(insert(JobRecord), rows)
    return sorted(((row["submitted_at"], row["id"]) for row in rows), reverse=True)
