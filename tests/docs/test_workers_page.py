"""``docs/workers.rst``, the seed page (``seed-workers-howto.rst``) with ``chariots`` read as
``chariots_core``, runs as a doctest with a real Redis and real RQ workers; and it is the seed
page but for that rename (and its set-up blocks' helpers imported from their new homes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import rst_doctest
from redis import Redis

REPOSITORY = Path(__file__).parents[2]
PAGE = REPOSITORY / "docs" / "workers.rst"
#: a verbatim copy of the seed page, so that the comparison runs wherever the tests do
SEED_COPY = Path(__file__).with_name("seed-workers-howto.rst")
#: the seed page itself, where the project keeps it (not in every checkout)
SHARED_SEED = Path("/work/shared/seed-workers-howto.rst")
RUNNER = Path(rst_doctest.__file__)


def run_page(
    page: Path, tmp_path: Path, *, record_jobs: bool = True
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the page's doctests in a fresh interpreter (as a doc build would), recording the jobs
    it submits."""
    jobs_file = tmp_path / "jobs.txt"
    record = ["--record-jobs", str(jobs_file)] if record_jobs else []
    completed = subprocess.run(
        [sys.executable, str(RUNNER), str(page), *record],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        check=False,
    )
    jobs = jobs_file.read_text().split() if jobs_file.exists() else []
    return completed, jobs


def forget_jobs(redis: Redis, job_ids: list[str]) -> None:
    """Remove what RQ keeps of these jobs (the page's Redis may be shared: only these go)."""
    registries = [
        key
        for key in redis.scan_iter(match="rq:*:chariots*", count=1000)
        if redis.type(key) == b"zset"
    ]
    for job_id in job_ids:
        keys = list(redis.scan_iter(match=f"rq:*{job_id}*", count=1000))
        if keys:
            redis.delete(*keys)
        for registry in registries:
            redis.zrem(registry, job_id)


def test_the_page_runs_as_a_doctest_with_redis_and_an_rq_worker(
    default_redis: Redis, tmp_path: Path
) -> None:
    completed, jobs = run_page(PAGE, tmp_path)
    try:
        examples = sum(block.code.count(">>>") for block in rst_doctest.parse(PAGE.read_text()))
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert completed.stdout.strip().endswith(f"workers.rst: {examples} examples, 0 failed")
        assert len(jobs) == 1  # the one call "using workers for a specific call"
    finally:
        forget_jobs(default_redis, jobs)


def test_the_page_is_the_seed_page_with_chariots_read_as_chariots_core() -> None:
    seed, page = SEED_COPY.read_text(), PAGE.read_text()

    assert page == rst_doctest.from_seed(seed)
    seed_blocks, page_blocks = rst_doctest.parse(seed), rst_doctest.parse(page)
    assert [(b.kind, b.lineno) for b in page_blocks] == [(b.kind, b.lineno) for b in seed_blocks]
    for seed_block, page_block in zip(seed_blocks, page_blocks, strict=True):
        if page_block.kind == "testsetup":
            assert page_block.code == rst_doctest.from_seed(seed_block.code)
        else:  # doctest blocks: unchanged but for the rename
            assert page_block.code == rst_doctest.rename(seed_block.code), page_block
    assert "chariots._helpers" not in page
    assert "from chariots." not in page
    assert "from chariots import" not in page


@pytest.mark.skipif(not SHARED_SEED.exists(), reason=f"{SHARED_SEED} is not in this checkout")
def test_the_seed_copy_is_the_seed_page() -> None:
    assert SEED_COPY.read_bytes() == SHARED_SEED.read_bytes()


def test_the_runner_fails_a_page_whose_output_differs(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        ".. testsetup::\n\n    >>> value = 41\n\n"
        ".. doctest::\n\n    >>> value + 1\n    43\n\n"
        "A plain doctest block:\n\n    >>> value\n    41\n"
    )

    completed, _ = run_page(page, tmp_path, record_jobs=False)

    assert completed.returncode == 1
    assert "Expected:\n    43\nGot:\n    42" in completed.stdout
    assert completed.stdout.strip().endswith("page.rst: 3 examples, 1 failed")


def test_the_runner_runs_blocks_in_the_pages_order(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        ".. doctest::\n\n    >>> 'value' in globals()\n    False\n\n"
        ".. testsetup::\n\n    >>> value = 1\n\n"
        ".. doctest::\n    :options: +ELLIPSIS\n\n    >>> value\n    1\n"
    )

    completed, _ = run_page(page, tmp_path, record_jobs=False)

    assert completed.returncode == 0, completed.stdout
    assert completed.stdout.strip().endswith("page.rst: 3 examples, 0 failed")
