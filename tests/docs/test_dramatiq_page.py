"""``docs/dramatiq.rst`` runs as a doctest (with ``rst_doctest.py``, in a fresh interpreter, as a
doc build would) on a real Redis and real Dramatiq workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import rst_doctest

PAGE = Path(__file__).parents[2] / "docs" / "dramatiq.rst"


def test_the_dramatiq_page_runs_as_a_doctest_with_redis_and_dramatiq_workers(
    chariots_redis_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "CHARIOTS_DOCS_REDIS_URL": chariots_redis_url}
    completed = subprocess.run(
        [sys.executable, rst_doctest.__file__, str(PAGE)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env, check=False,
    )  # fmt: skip

    examples = sum(block.code.count(">>>") for block in rst_doctest.parse(PAGE.read_text()))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip().endswith(f"dramatiq.rst: {examples} examples, 0 failed")
