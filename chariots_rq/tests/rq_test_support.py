"""Settings of chariots-rq's tests (importable by name: ``from rq_test_support import …``)."""

from __future__ import annotations

#: worker options that make RQ's housekeeping quick enough for tests
FAST_WORKERS = {
    "worker_ttl": 16,
    "job_monitoring_interval": 1,
    "maintenance_interval": 1,
    "abandoned_after": 1,
}
