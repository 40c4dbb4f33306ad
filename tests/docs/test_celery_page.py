"""``docs/celery.rst``, the seed page's examples on Celery, runs as a doctest with a real Redis
(where the page's URLs point: localhost:6379) and a real Celery worker."""

from __future__ import annotations

from pathlib import Path

import rst_doctest
from redis import Redis
from test_workers_page import run_page

REPOSITORY = Path(__file__).parents[2]
PAGE = REPOSITORY / "docs" / "celery.rst"
#: the keys the page's Celery makes in Redis: its queue's (``chariots``) and kombu's bindings
#: (removed after, but for those that were there before)
CELERY_KEYS = ("chariots*", "_kombu.*")
#: the seed page's three ways to ask for a worker, which the page shows on Celery
SEED_EXAMPLES = [
    "**using workers for all the pipelines in the app:**",
    "**using workers for all the calls to a specific pipeline**",
    "**using workers for a specific call**",
]


def test_the_page_runs_as_a_doctest_with_redis_and_a_celery_worker(
    default_redis: Redis, tmp_path: Path
) -> None:
    existing = celery_keys(default_redis)
    completed, jobs = run_page(PAGE, tmp_path)
    try:
        examples = sum(block.code.count(">>>") for block in rst_doctest.parse(PAGE.read_text()))
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert completed.stdout.strip().endswith(f"celery.rst: {examples} examples, 0 failed")
        assert len(jobs) == 1  # the one call "using workers for a specific call"
    finally:
        made = celery_keys(default_redis) - existing
        if made:
            default_redis.delete(*made)


def celery_keys(redis: Redis) -> set[bytes]:
    return {key for pattern in CELERY_KEYS for key in redis.scan_iter(match=pattern, count=1000)}


def test_the_page_has_the_seed_pages_examples_and_rule() -> None:
    seed = Path(__file__).with_name("seed-workers-howto.rst").read_text()
    page = PAGE.read_text()

    for example in SEED_EXAMPLES:
        assert example in seed
        assert example in page
    assert "When will a pipeline be executed in a worker?" in page
    assert "time.sleep" not in page  # the page waits for its job: it does not sleep
