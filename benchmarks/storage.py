"""Job listing and lookup at 10³/10⁴/10⁵ records, on SQLite and PostgreSQL; and the SQL a job
costs (statements and write transactions, counted with SQLAlchemy's engine events)."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine

from chariots_core.database import utc_now
from chariots_core.jobs import JobStore
from chariots_core.jobs._models import JobRecord

_STATUSES = ["done", "done", "done", "failed", "queued", "cancelled"]


@dataclass
class SQLCounter:
    """Statements and write transactions (a commit after an INSERT, UPDATE or DELETE)."""

    statements: int = 0
    writes: int = 0
    texts: list[str] = field(default_factory=list)

    @contextmanager
    def counting(self, engine: Engine) -> Iterator[SQLCounter]:
        def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            self.statements += 1
            self.texts.append(statement.split("\n")[0][:80])
            if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                conn.info["bench_wrote"] = True

        def on_commit(conn: Any) -> None:
            if conn.info.pop("bench_wrote", False):
                self.writes += 1

        def on_rollback(conn: Any) -> None:
            conn.info.pop("bench_wrote", None)

        event.listen(engine, "before_cursor_execute", on_execute)
        event.listen(engine, "commit", on_commit)
        event.listen(engine, "rollback", on_rollback)
        try:
            yield self
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
            event.remove(engine, "commit", on_commit)
            event.remove(engine, "rollback", on_rollback)


def _fill(store: JobStore, app: str, start: int, stop: int) -> list[str]:
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
    return [str(row["id"]) for row in rows]


def _median_ms(action: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def listing_and_lookup(url: str, scales: list[int]) -> dict[int, tuple[float, float]]:
    """For each number of records: (ms of ``GET /jobs?limit=50&status=done``, ms of a
    ``GET /jobs/<id>``), through the app's routes (Flask's test client)."""
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
            ids += _fill(store, app.name, len(ids), scale)
            listing = _median_ms(lambda: client.get("/jobs?limit=50&status=done"), 15)
            probe = ids[len(ids) // 2]
            lookup = _median_ms(lambda probe=probe: client.get(f"/jobs/{probe}"), 30)
            out[scale] = (listing, lookup)
            check = client.get("/jobs?limit=50&status=done")
            assert check.status_code == 200, check.get_data(as_text=True)
    finally:
        store.database.dispose()
    return out
