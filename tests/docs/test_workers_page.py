"""``docs/workers.rst`` runs with Sphinx's doctest builder on a real Redis and real RQ workers
(``nox -s docs`` runs it with the whole site; this runs it alone, with chariots-rq's tests)."""

from __future__ import annotations

from pathlib import Path

from sphinx_doctest import DOCS, doctest_examples, run_page

PAGE = DOCS / "workers.rst"


def test_the_workers_page_runs_on_redis_and_rq_workers(
    chariots_redis_url: str, tmp_path: Path
) -> None:
    text = PAGE.read_text()

    run = run_page(text, tmp_path, redis_url=chariots_redis_url, record_jobs=True)

    assert run.returncode == 0, run.explain()
    assert run.failures == 0, run.explain()
    assert run.tests == doctest_examples(text), run.explain()
    assert len(run.jobs) == 1  # the one call sent to a worker


def test_the_page_has_no_dead_links_or_seed_typos() -> None:
    text = PAGE.read_text()

    for wrong in ("api_docs", "Cahriots", "teh ", "you than", "time.sleep"):
        assert wrong not in text
