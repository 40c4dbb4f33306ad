"""`JobStatus`: where a job is in its life."""

from __future__ import annotations

from enum import Enum


class JobStatus(Enum):
    """``str(JobStatus.queued)`` is ``"JobStatus.queued"``; the value is the bare name."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"
    lost = "lost"

    @property
    def is_finished(self) -> bool:
        """Whether the job will not change any more (done, failed, cancelled or lost)."""
        return self in FINISHED


FINISHED = frozenset({JobStatus.done, JobStatus.failed, JobStatus.cancelled, JobStatus.lost})
