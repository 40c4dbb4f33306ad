"""The seed page (``seed-workers-howto.rst``, the page this project grew from, kept verbatim)
runs with Sphinx's doctest builder, with ``chariots`` read as ``chariots_core`` (and its set-up
blocks' helpers imported from their new homes), on a real Redis where the page expects one
(``Redis()``: localhost:6379) and real RQ workers; and a page whose example fails fails the
build."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from redis import Redis
from sphinx_doctest import doctest_examples, run_page

#: a verbatim copy of the seed page, so that the comparison runs wherever the tests do
SEED_COPY = Path(__file__).with_name("seed-workers-howto.rst")
#: the seed page itself, where the project keeps it (not in every checkout)
SHARED_SEED = Path("/work/shared/seed-workers-howto.rst")

#: where the seed page's test helpers live now (its ``testsetup`` blocks import them there)
HELPER_HOMES = {
    "from chariots._helpers.doc_utils import": "from chariots_core.testing.doc_ops import",
    "from chariots._helpers.test_helpers import RQWorkerContext": (
        "from chariots_rq.testing import RQWorkerContext"
    ),
}
_IMPORT_OF_CHARIOTS = re.compile(r"\b(from|import)(\s+)chariots\b(?![\w])")


def from_seed(seed: str) -> str:
    """The seed page as this repository runs it: its test helpers imported from their new
    homes, then every ``chariots`` import read as ``chariots_core``; the prose as it is."""
    for old, new in HELPER_HOMES.items():
        seed = seed.replace(old, new)
    return _IMPORT_OF_CHARIOTS.sub(r"\1\2chariots_core", seed)


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


def test_the_seed_page_runs_with_sphinx_doctest_on_redis_and_an_rq_worker(
    default_redis: Redis, tmp_path: Path
) -> None:
    page = from_seed(SEED_COPY.read_text())

    run = run_page(page, tmp_path, redis_url="redis://127.0.0.1:6379/0", record_jobs=True)
    try:
        assert run.returncode == 0, run.explain()
        assert run.failures == 0, run.explain()
        assert run.tests == doctest_examples(page), run.explain()
        assert len(run.jobs) == 1  # the one call "using workers for a specific call"
    finally:
        forget_jobs(default_redis, run.jobs)


def test_the_seed_pages_rename_leaves_no_chariots_import() -> None:
    page = from_seed(SEED_COPY.read_text())

    assert "chariots._helpers" not in page
    assert "from chariots." not in page
    assert "from chariots import" not in page
    assert "from chariots_core.pipelines import PipelinesServer" in page


@pytest.mark.skipif(not SHARED_SEED.exists(), reason=f"{SHARED_SEED} is not in this checkout")
def test_the_seed_copy_is_the_seed_page() -> None:
    assert SEED_COPY.read_bytes() == SHARED_SEED.read_bytes()


def test_a_page_whose_example_fails_fails_the_build(tmp_path: Path) -> None:
    page = (
        "Page\n====\n\n"
        ".. testsetup::\n\n    value = 41\n\n"
        ".. doctest::\n\n    >>> value + 1\n    43\n\n"
        "A plain doctest block:\n\n    >>> value\n    41\n"
    )

    run = run_page(page, tmp_path)

    assert run.returncode != 0
    assert "Expected:\n    43\nGot:\n    42" in run.report
    assert run.tests == 2
    assert run.failures == 1


def test_setup_blocks_written_as_sessions_run_where_they_stand(tmp_path: Path) -> None:
    page = (
        "Page\n====\n\n"
        ".. doctest::\n\n    >>> 'value' in globals()\n    False\n\n"
        ".. testsetup::\n\n    >>> value = 1\n\n"
        ".. doctest::\n    :options: +ELLIPSIS\n\n    >>> value\n    1\n\n"
        ".. testsetup::\n\n    plain = 'runs before the examples'\n\n"
        ".. doctest::\n\n    >>> plain\n    'runs before the examples'\n"
    )

    run = run_page(page, tmp_path)

    assert run.returncode == 0, run.explain()
    assert run.failures == 0, run.explain()
