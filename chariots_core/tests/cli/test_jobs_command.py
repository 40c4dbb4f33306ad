"""``chariots jobs``: an app's jobs and their states, from its job store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _job_rows import add_jobs
from click.testing import CliRunner

from chariots_core.cli import main
from chariots_core.jobs import COUNT_AHEAD, Job
from chariots_core.workers import load_app


@pytest.fixture
def jobs(plugins_folder: Path) -> list[Job]:
    """Four jobs of the test app, newest first: add_two queued, add_one cancelled, two add_one
    queued."""
    store = load_app("chariots_test_app:app").job_store
    assert store is not None
    made = [store.create("chariots_test_app", "add_one") for _ in range(2)]
    made.append(store.cancel(store.create("chariots_test_app", "add_one").id))
    made.append(store.create("chariots_test_app", "add_two"))
    store.create("another_app", "add_one")  # the same store, another app: not listed
    return made[::-1]


def test_jobs_lists_the_apps_jobs_as_json(chariots: Any, jobs: list[Job]) -> None:
    done = chariots.run("jobs", "--app", "chariots_test_app:app", "--json")

    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed["total"] == 4
    assert [job["id"] for job in listed["jobs"]] == [job.id for job in jobs]
    assert [job["status"] for job in listed["jobs"]] == ["queued", "cancelled", "queued", "queued"]
    assert listed["jobs"][0] == jobs[0].to_json()


def test_jobs_as_a_table(chariots: Any, jobs: list[Job]) -> None:
    done = chariots.run("jobs", "--limit", "2", CHARIOTS_APP="chariots_test_app:app")

    assert done.returncode == 0, done.stderr
    header, first, second, footer = done.stdout.splitlines()
    assert header.split() == ["ID", "PIPELINE", "STATUS", "ATTEMPTS", "SUBMITTED", "FINISHED"]
    assert first.split()[:4] == [jobs[0].id, "add_two", "queued", "0"]
    assert first.endswith(" -")
    assert second.split()[:4] == [jobs[1].id, "add_one", "cancelled", "0"]
    assert not second.endswith(" -")  # cancelled: it has finished
    assert footer == "2 of 4 jobs"


@pytest.mark.parametrize(
    ("options", "expected", "total"),
    [
        (["--pipeline", "add_one"], [1, 2, 3], 3),
        (["--status", "cancelled"], [1], 1),
        (["--pipeline", "add_one", "--status", "queued"], [2, 3], 2),
        (["--limit", "2", "--offset", "1"], [1, 2], 4),
        (["--pipeline", "no_such_pipeline"], [], 0),
    ],
)
def test_jobs_filters_and_pages(
    jobs: list[Job], options: list[str], expected: list[int], total: int
) -> None:
    result = CliRunner().invoke(
        main, ["jobs", "--app", "chariots_test_app:app", "--json", *options]
    )

    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [job["id"] for job in listed["jobs"]] == [jobs[index].id for index in expected]
    assert listed["total"] == total


def test_jobs_past_the_count_bound_say_at_least(plugins_folder: Path) -> None:
    store = load_app("chariots_test_app:app").job_store
    assert store is not None
    add_jobs(store, COUNT_AHEAD + 30, app="chariots_test_app", pipeline="add_one")

    table = CliRunner().invoke(main, ["jobs", "--app", "chariots_test_app:app", "--limit", "2"])
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[-1] == f"2 of at least {COUNT_AHEAD + 2} jobs"

    as_json = CliRunner().invoke(
        main, ["jobs", "--app", "chariots_test_app:app", "--json", "--offset", "5"]
    )
    assert as_json.exit_code == 0, as_json.output
    listed = json.loads(as_json.output)
    assert (listed["total"], listed["total_exact"]) == (COUNT_AHEAD + 25, False)
    assert (listed["limit"], listed["offset"], len(listed["jobs"])) == (20, 5, 20)
