"""The README's quickstart (``nox -s quickstart``) shows the whole idea, quickly and quietly."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).parents[1] / "examples" / "quickstart.py"


def test_the_quickstart_trains_as_a_job_serves_species_and_shows_the_record() -> None:
    pytest.importorskip("rich", reason="the quickstart's progress bar is rich's (group examples)")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(QUICKSTART)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "training submitted as job" in out
    assert "training done" in out, out
    assert "4/4" in out, out  # followed node by node to the end
    assert "cross-validated accuracy: 0.9" in out
    for species in ("setosa", "versicolor", "virginica"):
        assert species in out
    for field in ("status", "attempts", "duration", "trained logisticop", "trained pcaop"):
        assert field in out
    assert "HTTP/1.1" not in out + done.stderr  # no access log
    assert done.stderr == "", done.stderr
    assert out.rstrip().endswith("quickstart done")
    assert seconds < 60, f"the quickstart took {seconds:.0f}s"
