"""Run one page's examples with Sphinx's doctest builder (``sphinx-build -b doctest``), with the
documentation site's own extension (``docs/_ext/chariots_docs.py``: the services found or
started as the tests find them, set-up blocks written as sessions run where they stand), in a
fresh interpreter, as ``nox -s docs`` runs the whole site.

The page is copied alone into a temporary source folder (as its root document), so that a test
runs one page without building the site.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).parents[2]
DOCS = REPOSITORY / "docs"

_CONF = """\
import sys
sys.path.insert(0, {ext!r})
from chariots_docs import GLOBAL_SETUP

extensions = ["sphinx.ext.doctest", "chariots_docs"]
root_doc = "index"
doctest_global_setup = GLOBAL_SETUP
{record}
"""

#: conf.py lines that write the ids of the jobs the page submits to a file, one a line
_RECORD_JOBS = """\
from chariots_core.workers import hookimpl, register_observer

_jobs = open({path!r}, "w")

class _Recorder:
    @hookimpl
    def chariots_job_submitted(self, job):
        _jobs.write(job.id + "\\n")
        _jobs.flush()

register_observer(_Recorder(), name="docs-test-job-recorder")
"""

_SUMMARY = re.compile(
    r"^\s*(?P<tests>\d+) tests\n\s*(?P<failures>\d+) failures? in tests\n"
    r"\s*(?P<setup>\d+) failures? in setup code\n\s*(?P<cleanup>\d+) failures? in cleanup code",
    re.MULTILINE,
)


@dataclass(frozen=True)
class DoctestRun:
    returncode: int
    output: str  # what sphinx-build printed
    report: str  # the builder's output.txt
    jobs: list[str]  # the ids of the jobs the page submitted, when asked for

    @property
    def tests(self) -> int:
        match = _SUMMARY.search(self.report)
        return int(match["tests"]) if match else 0

    @property
    def failures(self) -> int:
        match = _SUMMARY.search(self.report)
        if match is None:
            return -1
        return sum(int(match[key]) for key in ("failures", "setup", "cleanup"))

    def explain(self) -> str:
        return f"{self.output}\n{self.report}"


def run_page(
    text: str,
    folder: Path,
    *,
    redis_url: str | None = None,
    record_jobs: bool = False,
    timeout: float = 300,
) -> DoctestRun:
    """Run the examples of the reStructuredText ``text`` with ``sphinx-build -b doctest``
    (``redis_url``: the Redis the build uses, else one it finds or starts)."""
    source, out = folder / "source", folder / "out"
    source.mkdir(parents=True, exist_ok=True)
    jobs_file = folder / "jobs.txt"
    record = _RECORD_JOBS.format(path=str(jobs_file)) if record_jobs else ""
    (source / "conf.py").write_text(_CONF.format(ext=str(DOCS / "_ext"), record=record))
    (source / "index.rst").write_text(text)
    env = dict(os.environ)
    if redis_url is not None:
        env["CHARIOTS_TEST_REDIS_URL"] = redis_url
    completed = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "doctest", "-q", str(source), str(out)],
        capture_output=True, text=True, timeout=timeout, cwd=folder, env=env, check=False,
    )  # fmt: skip
    report = out / "output.txt"
    return DoctestRun(
        returncode=completed.returncode,
        output=completed.stdout + completed.stderr,
        report=report.read_text() if report.exists() else "",
        jobs=jobs_file.read_text().split() if jobs_file.exists() else [],
    )


def doctest_examples(text: str, *, conditional: bool = True) -> int:
    """How many examples (``>>>`` lines) a page has; with ``conditional=False``, leaving out
    those of directives with a ``:skipif:`` option (those that need a service)."""
    count, skipping = 0, False
    for line in text.splitlines():
        if line.startswith(".. "):  # a directive (or a comment) at the page's level
            skipping = False
        elif line.strip().startswith(":skipif:"):
            skipping = not conditional
        elif line.lstrip().startswith(">>>") and not skipping:
            count += 1
    return count


def rabbitmq_answers() -> bool:
    """Whether the RabbitMQ of the tests answers (the pages' examples on it run then)."""
    from chariots_core.testing.services import ServiceUnavailable, find_rabbitmq

    try:
        find_rabbitmq()
    except ServiceUnavailable:
        return False
    return True
