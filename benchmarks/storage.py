"""Job listing and lookup at 10³/10⁴/10⁵ records, on SQLite and PostgreSQL; and the SQL a job
costs (statements and write transactions, counted with SQLAlchemy's engine events)."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from chariots_core.database import utc_now
from chariots_core.jobs import JobStore
from chariots_core.jobs._models import JobRecord

_STATUSES = ["done", "done", "done", "failed", "queued", "cancelled"]


def _fill(store: JobStore, app: str, start: int, stop: int, *, analyze: bool = True) -> list[str]:
    """Add records ``start`` to ``stop`` of ``app``; on PostgreSQL, then ``ANALYZE`` (with
    ``analyze``), as autovacuum does after such growth: a table that grew in a second from
    nothing has no statistics yet, PostgreSQL plans it as if it held a handful of rows, and
    psycopg's prepared statements keep such a plan until the statistics change."""
    now = utc_now()
    rows = [
        {
            "id": uuid.uuid4().hex,
            "app": app,
            "pipeline": "work",
            "status": _STATUSES[i % len(_STATUSES)],
            "attempts": 1,
            "options": {},
            "submitted_at": now - timedelta(seconds=stop - i),
            "finished_at": now,
            "expires_at": now + timedelta(days=7),
            "cancel_requested": False,
        }
        for i in range(start, stop)
    ]
    store.database.ensure_created()
    with store.database.engine.begin() as connection:
        for chunk in range(0, len(rows), 5000):
            connection.execute(insert(JobRecord), rows[chunk : chunk + 5000])
        if analyze and store.database.dialect_name == "postgresql":
            connection.exec_driver_sql("ANALYZE chariots_jobs")
    return [str(row["id"]) for row in rows]


def _median_ms(action: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def listing_and_lookup(
    url: str, scales: list[int], *, analyze: bool = True
) -> dict[int, tuple[float, float]]:
    """For each number of records: (ms of ``GET /jobs?limit=50&status=done``, ms of a
    ``GET /jobs/<id>``), through the app's routes (Flask's test client); ``analyze``: see
    :func:`_fill`."""
    from bench_app import build_app

    home = Path(tempfile.mkdtemp(prefix="chariots-bench-list-"))
    app = build_app(home, None)
    store = JobStore(url)
    app.job_store = store
    client = app.test_client()
    ids: list[str] = []
    out: dict[int, tuple[float, float]] = {}
    try:
        for scale in scales:
            ids += _fill(store, app.name, len(ids), scale, analyze=analyze)
            listing = _median_ms(lambda: client.get("/jobs?limit=50&status=done"), 15)
            probe = ids[len(ids) // 2]
            lookup = _median_ms(lambda probe=probe: client.get(f"/jobs/{probe}"), 30)
            out[scale] = (listing, lookup)
            check = client.get("/jobs?limit=50&status=done")
            assert check.status_code == 200, check.get_data(as_text=True)
    finally:
        store.database.dispose()
    return out
