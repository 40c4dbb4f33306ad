"""``docs/dramatiq.rst`` runs with Sphinx's doctest builder on a real Redis and real Dramatiq
workers (``nox -s docs`` runs it with the whole site; this runs it alone, with
chariots-dramatiq's tests)."""

from __future__ import annotations

from pathlib import Path

from sphinx_doctest import DOCS, doctest_examples, run_page

PAGE = DOCS / "dramatiq.rst"


def test_the_dramatiq_page_runs_on_redis_and_dramatiq_workers(
    chariots_redis_url: str, tmp_path: Path
) -> None:
    text = PAGE.read_text()

    run = run_page(text, tmp_path, redis_url=chariots_redis_url)

    assert run.returncode == 0, run.explain()
    assert run.failures == 0, run.explain()
    assert run.tests == doctest_examples(text), run.explain()
