"""What ``chariots_core.workers`` exports besides its pools (the original chariots' names)."""

from __future__ import annotations

from chariots_core import jobs, workers


def test_job_status_is_exported_by_workers_and_lives_in_jobs() -> None:
    from chariots_core.workers import JobStatus

    assert JobStatus is jobs.JobStatus
    assert "JobStatus" in workers.__all__
    assert JobStatus.__module__ == "chariots_core.jobs._status"
