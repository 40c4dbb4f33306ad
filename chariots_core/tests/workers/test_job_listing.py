"""Listing jobs: a page, newest first, and a count that stops a bound past it; each filter the
server offers reads its own index, in the listing's order, so that a page costs the same at 10³
and 10⁵ records. Every test runs on a SQLite file and on a PostgreSQL schema.

The plans are checked, not timed: the statements a listing runs are caught as it runs them and
explained on the same database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from _job_rows import add_jobs
from _polling import eventually
from sqlalchemy import event, inspect

from chariots_core.database import Database, utc_now
from chariots_core.jobs import COUNT_AHEAD, JobPage, JobStatus, JobStore


def ids(page: JobPage) -> list[str]:
    return [job.id for job in page.jobs]


def read_all(store: JobStore, limit: int, count_ahead: int, **filters: Any) -> list[JobPage]:
    """Every page of a listing, each asked from the one before's ``next_offset``."""
    pages = [store.list_jobs(app="app", limit=limit, count_ahead=count_ahead, **filters)]
    while pages[-1].next_offset is not None:
        assert len(pages) < 100, "the pages do not end"
        offset = pages[-1].next_offset
        pages.append(
            store.list_jobs(
                app="app", limit=limit, offset=offset, count_ahead=count_ahead, **filters
            )
        )
    return pages


def test_the_total_is_counted_up_to_a_bound_past_the_page(store: JobStore) -> None:
    keys = add_jobs(store, 15)
    newest = [job_id for _, job_id in keys]

    first = store.list_jobs(app="app", limit=3, count_ahead=5)
    assert ids(first) == newest[:3]
    assert (first.total, first.total_exact, first.next_offset) == (8, False, 3)  # 3 + 5: more

    assert store.list_jobs(app="app", limit=3, offset=6, count_ahead=5).total == 14
    middle = store.list_jobs(app="app", limit=3, offset=9, count_ahead=5)
    assert (middle.total, middle.total_exact, middle.next_offset) == (15, True, 12)

    last = store.list_jobs(app="app", limit=3, offset=12, count_ahead=5)
    assert ids(last) == newest[12:]
    assert (last.total, last.total_exact, last.next_offset) == (15, True, None)

    assert store.list_jobs(app="app", limit=3, offset=20, count_ahead=5) == JobPage(
        [], 15, True, 20, 3
    )
    everything = store.list_jobs(app="app", limit=3, count_ahead=None)  # the exact count
    assert (everything.total, everything.total_exact) == (15, True)
    default = store.list_jobs(app="app", limit=3)  # the default bound is far past 15
    assert (default.total, default.total_exact) == (15, True)
    assert COUNT_AHEAD >= 1000


def test_paging_by_next_offset_reads_each_job_once_newest_first(store: JobStore) -> None:
    start = utc_now() - timedelta(hours=1)
    done = add_jobs(store, 12, first=start)
    failed = add_jobs(
        store, 9, pipeline="predict", status=JobStatus.failed, first=start + timedelta(seconds=1)
    )
    add_jobs(store, 5, app="another_app", first=start)

    for filters, expected in [
        ({}, sorted(done + failed, reverse=True)),
        ({"status": JobStatus.failed}, failed),
        ({"pipeline": "train"}, done),
        ({"pipeline": "predict", "status": JobStatus.failed}, failed),
        ({"pipeline": "predict", "status": JobStatus.done}, []),
    ]:
        pages = read_all(store, limit=4, count_ahead=2, **filters)
        assert [job_id for page in pages for job_id in ids(page)] == [
            job_id for _, job_id in expected
        ], filters
        for page in pages[:-1]:  # a page followed by another says that more jobs match
            assert page.total > page.offset + len(page.jobs)
        assert (pages[-1].total, pages[-1].total_exact) == (len(expected), True)


def test_jobs_submitted_at_the_same_instant_are_paged_once_each(store: JobStore) -> None:
    same_time = add_jobs(store, 7, spacing=timedelta(0))
    pages = read_all(store, limit=2, count_ahead=1)
    assert [job_id for page in pages for job_id in ids(page)] == [job_id for _, job_id in same_time]


def test_a_listing_right_after_another_reads_only_its_page(
    database: Database, store: JobStore
) -> None:
    """The look for expired records and dead workers' runs is made once in a while, not for
    every listing; a last page needs no count."""
    add_jobs(store, 3)
    store.list_jobs(app="app")
    with caught_statements(database) as statements:
        page = store.list_jobs(app="app")
    assert (len(page.jobs), page.total, page.total_exact) == (3, 3, True)
    reads = [sql for sql, _ in statements if "chariots_jobs" in sql]  # not SQLite's BEGIN
    assert len(reads) == 1, reads


def test_listings_still_end_the_runs_of_dead_workers(database: Database) -> None:
    store = JobStore(database, heartbeat_timeout=0.2)  # looked for every 0.05 s at most
    job = store.create("app", "train")
    assert store.claim(job.id, "worker") is not None

    def ended() -> bool:
        (listed,) = store.list_jobs(app="app").jobs
        return listed.status is JobStatus.lost

    eventually(ended, timeout=10.0, what="the dead worker's run ended")


#: each filter the server offers (the app always), and the index that holds its jobs in order
LISTINGS = {
    "app": ({}, "ix_chariots_jobs_app_submitted"),
    "app_pipeline": ({"pipeline": "train"}, "ix_chariots_jobs_app_pipeline_submitted"),
    "app_status": ({"status": JobStatus.done}, "ix_chariots_jobs_app_status_submitted"),
    "app_pipeline_status": (
        {"pipeline": "train", "status": JobStatus.done},
        "ix_chariots_jobs_app_pipeline_status_submitted",
    ),
}


@pytest.mark.parametrize(("filters", "index"), list(LISTINGS.values()), ids=list(LISTINGS))
def test_a_listing_reads_its_filters_index_in_order(
    database: Database, store: JobStore, filters: dict[str, Any], index: str
) -> None:
    """The page and the count each walk the filter's index backwards, with nothing to sort: how
    much they read depends on the page and the bound, not on how many jobs there are."""
    add_jobs(store, 6)
    add_jobs(store, 4, pipeline="predict", status=JobStatus.failed)
    add_jobs(store, 3, app="another_app")
    with caught_statements(database) as statements:
        page = store.list_jobs(app="app", limit=2, count_ahead=1, **filters)
    assert not page.total_exact  # so both statements ran: the page, then the count

    listing = [(sql, parameters) for sql, parameters in statements if "submitted_at DESC" in sql]
    (page_sql, page_parameters), (count_sql, count_parameters) = listing  # not the upkeep's
    assert "count(" in count_sql
    page_plan = explain(database, page_sql, page_parameters)
    count_plan = explain(database, count_sql, count_parameters)
    # nothing sorted, no table read whole
    unwanted = ("TEMP B-TREE", "SCAN chariots_jobs", "Sort", "Seq Scan", "Bitmap")
    for plan in (page_plan, count_plan):
        assert not [word for word in unwanted if word in plan], plan
    if database.dialect_name == "sqlite":
        assert re.search(rf"USING INDEX {index}\b", page_plan), page_plan
        assert re.search(rf"USING COVERING INDEX {index}\b", count_plan), count_plan
    else:
        assert re.search(rf"Index Scan Backward using {index}\b", page_plan), page_plan
        assert re.search(rf"Index (Only )?Scan Backward using {index}\b", count_plan), count_plan


@contextmanager
def caught_statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements run on ``database`` within the block, with their parameters."""
    statements: list[tuple[str, Any]] = []

    def caught(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", caught)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", caught)


def explain(database: Database, statement: str, parameters: Any) -> str:
    """The plan of ``statement``. PostgreSQL is asked what it can do rather than what it finds
    cheapest for a few rows: with table scans and sorting switched off, a plan that cannot do
    without them keeps them (at a prohibitive cost) and shows them."""
    with database.engine.connect() as connection:
        if database.dialect_name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[3]) for row in rows)
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)


def listing_indexes(database: Database) -> dict[str, list[str | None]]:
    return {
        index["name"]: index["column_names"]
        for index in inspect(database.engine).get_indexes("chariots_jobs")
        if index["name"] is not None and index["name"].endswith("_submitted")
    }


def test_migration_0008_makes_the_listing_indexes_and_takes_them_back(database: Database) -> None:
    database.create_all()
    ordered = {
        "ix_chariots_jobs_app_submitted": ["app", "submitted_at", "id"],
        "ix_chariots_jobs_app_pipeline_submitted": ["app", "pipeline", "submitted_at", "id"],
        "ix_chariots_jobs_app_status_submitted": ["app", "status", "submitted_at", "id"],
        "ix_chariots_jobs_app_pipeline_status_submitted": (
            ["app", "pipeline", "status", "submitted_at", "id"]
        ),
    }
    assert listing_indexes(database) == ordered

    database.downgrade("0007")
    assert listing_indexes(database) == {
        "ix_chariots_jobs_app_pipeline_submitted": ["app", "pipeline", "submitted_at"],
        "ix_chariots_jobs_app_status_submitted": ["app", "status", "submitted_at"],
    }
    database.upgrade("head")
    assert listing_indexes(database) == ordered
