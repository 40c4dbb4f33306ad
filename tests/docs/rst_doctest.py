"""Run the doctests of a reStructuredText page, in the page's order, as Sphinx's doctest builder
would run them in one group: ``.. testsetup::``, ``.. doctest::`` and ``.. testcleanup::``
directives and plain doctest blocks (paragraphs of ``>>>`` lines), sharing one namespace, with
Sphinx's default flags (``ELLIPSIS``, ``IGNORE_EXCEPTION_DETAIL``, ``DONT_ACCEPT_TRUE_FOR_1``).

Blocks run in the order they appear (the seed page sets things up right before the examples that
need them, and ends with a set-up block that cleans up). Usage::

    python rst_doctest.py PAGE.rst [--record-jobs FILE]

prints a report and exits 0 when every example passed. ``--record-jobs`` writes the ids of the
chariots jobs the page submitted (one a line), so that a caller can remove their traces.
"""

from __future__ import annotations

import argparse
import doctest
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Sphinx's ``doctest_default_flags``
FLAGS = doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL | doctest.DONT_ACCEPT_TRUE_FOR_1

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. (?P<name>[\w-]+)::\s*(?P<argument>.*)$")
_TEST_DIRECTIVES = {"testsetup", "doctest", "testcleanup"}
_UNSUPPORTED = {"testcode", "testoutput"}


@dataclass(frozen=True)
class Block:
    """A piece of code of the page: ``kind`` is the directive's name or ``"doctest-block"``."""

    kind: str
    code: str
    lineno: int  # of the first line of code, 1-based


def parse(text: str) -> list[Block]:
    """The page's test blocks, in order."""
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _DIRECTIVE.match(line)
        if match and match["name"] in _UNSUPPORTED:
            raise ValueError(f"line {index + 1}: '.. {match['name']}::' is not supported here")
        if match and match["name"] in _TEST_DIRECTIVES:
            indent = len(match["indent"])
            index += 1
            # the directive's options (":options: ...") then its indented content
            while index < len(lines) and re.match(r"^\s+:[\w-]+:", lines[index]):
                index += 1
            content: list[str] = []
            start = index
            while index < len(lines):
                current = lines[index]
                if current.strip() and len(current) - len(current.lstrip()) <= indent:
                    break
                content.append(current)
                index += 1
            code = textwrap.dedent("\n".join(content)).strip("\n")
            first = start + next((i for i, c in enumerate(content) if c.strip()), 0) + 1
            blocks.append(Block(match["name"], code + "\n", first))
            continue
        if line.lstrip().startswith(">>>"):
            start = index
            content = []
            while index < len(lines) and lines[index].strip():
                content.append(lines[index])
                index += 1
            blocks.append(
                Block("doctest-block", textwrap.dedent("\n".join(content)) + "\n", start + 1)
            )
            continue
        index += 1
    return blocks


#: where the seed page's test helpers live now (its ``testsetup`` blocks may import them there)
HELPER_HOMES = {
    "from chariots._helpers.doc_utils import": "from chariots_core.testing.doc_ops import",
    "from chariots._helpers.test_helpers import RQWorkerContext": (
        "from chariots_rq.testing import RQWorkerContext"
    ),
}
_IMPORT_OF_CHARIOTS = re.compile(r"\b(from|import)(\s+)chariots\b(?![\w])")


def rename(code: str) -> str:
    """The seed page's code with ``chariots`` read as ``chariots_core`` (``from chariots.x``,
    ``from chariots import``, ``import chariots``)."""
    return _IMPORT_OF_CHARIOTS.sub(r"\1\2chariots_core", code)


def from_seed(seed: str) -> str:
    """The seed page as this repository runs it: its test helpers imported from their new
    homes (in ``testsetup`` blocks only), then every ``chariots`` import read as
    ``chariots_core``; the prose is left as it is."""
    for old, new in HELPER_HOMES.items():
        seed = seed.replace(old, new)
    return rename(seed)


def run(path: Path) -> tuple[int, int, str]:
    """Run the page's blocks; returns (examples tried, failures, report)."""
    blocks = parse(path.read_text())
    parser = doctest.DocTestParser()
    globs: dict[str, Any] = {"__name__": "__page__"}
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
    for number, block in enumerate(blocks, start=1):
        test = parser.get_doctest(
            block.code, globs, f"{path.name} block {number} ({block.kind})", str(path),
            block.lineno - 1,
        )  # fmt: skip
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs  # a DocTest works on a copy: the next block goes on from here
    results = runner.summarize(verbose=False)
    return results.attempted, results.failed, "".join(report)


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("page", type=Path)
    arguments.add_argument("--record-jobs", type=Path, default=None)
    options = arguments.parse_args(argv)
    submitted: list[str] = []
    if options.record_jobs is not None:
        from chariots_core.workers import hookimpl, register_observer

        class _Recorder:
            @hookimpl
            def chariots_job_submitted(self, job: Any) -> None:
                submitted.append(job.id)

        register_observer(_Recorder(), name="rst-doctest-job-recorder")
    try:
        attempted, failed, report = run(options.page)
    finally:
        if options.record_jobs is not None:
            options.record_jobs.write_text("".join(f"{job_id}\n" for job_id in submitted))
    sys.stdout.write(report)
    print(f"{options.page.name}: {attempted} examples, {failed} failed")
    return 1 if failed or not attempted else 0


if __name__ == "__main__":
    sys.exit(main())
