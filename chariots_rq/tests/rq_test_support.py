"""Settings of chariots-rq's tests (importable by name: ``from rq_test_support import …``)."""

from __future__ import annotations

from pathlib import Path

from chariots_core.jobs import Job, JobOptions
from chariots_core.pipelines import PipelinesServer

#: worker options that make RQ's housekeeping quick enough for tests
FAST_WORKERS = {
    "worker_ttl": 16,
    "job_monitoring_interval": 1,
    "maintenance_interval": 1,
    "abandoned_after": 1,
}


def submit_fails_first(
    app: PipelinesServer, folder: Path, failures: int, options: JobOptions
) -> tuple[Job, Path]:
    """Submit the test app's ``fails_first`` job, failing its first ``failures`` runs; the job,
    and the file in ``folder`` counting its runs."""
    counter = folder / "fails_first-runs"
    return app.submit_job(
        "fails_first", {"counter": str(counter), "failures": failures}, options
    ), counter
