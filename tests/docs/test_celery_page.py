"""``docs/celery.rst``, the seed page's examples on Celery, runs with Sphinx's doctest builder on
a real Redis and a real Celery worker (``nox -s docs`` runs it with the whole site; this runs it
alone, with chariots-celery's tests)."""

from __future__ import annotations

from pathlib import Path

from sphinx_doctest import DOCS, doctest_examples, rabbitmq_answers, run_page

PAGE = DOCS / "celery.rst"
#: the seed page's three ways to ask for a worker, which the page shows on Celery
SEED_EXAMPLES = [
    "**using workers for all the pipelines in the app:**",
    "**using workers for all the calls to a specific pipeline**",
    "**using workers for a specific call**",
]


def test_the_page_runs_with_sphinx_doctest_on_redis_and_a_celery_worker(
    chariots_redis_url: str, tmp_path: Path
) -> None:
    text = PAGE.read_text()
    on_rabbitmq = rabbitmq_answers()  # the page's example on RabbitMQ runs only then

    run = run_page(text, tmp_path, redis_url=chariots_redis_url, record_jobs=True)

    assert run.returncode == 0, run.explain()
    assert run.failures == 0, run.explain()
    assert run.tests == doctest_examples(text, conditional=on_rabbitmq), run.explain()
    # the call "using workers for a specific call", and the same on RabbitMQ
    assert len(run.jobs) == (2 if on_rabbitmq else 1)


def test_the_page_has_the_seed_pages_examples_and_rule() -> None:
    seed = Path(__file__).with_name("seed-workers-howto.rst").read_text()
    page = PAGE.read_text()

    for example in SEED_EXAMPLES:
        assert example in seed
        assert example in page
    assert "When will a pipeline be executed in a worker?" in page
    assert "time.sleep" not in page  # the page waits for its job: it does not sleep
