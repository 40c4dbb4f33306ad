"""The upgrade page's example of the original chariots' order (the worker context entered
before the app is built) runs as it is, on the Redis it names (``Redis()``: localhost:6379)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from redis import Redis

PAGE = Path(__file__).parents[2] / "docs" / "upgrading-from-chariots.md"
_BLOCK = re.compile(r"^```python\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


def test_the_original_order_example_runs_as_it_is(tmp_path: Path, default_redis: Redis) -> None:
    (example,) = [
        block["code"]
        for block in _BLOCK.finditer(PAGE.read_text())
        if "with RQWorkerContext():" in block["code"]
    ]
    assert example.index("with RQWorkerContext():") < example.index("PipelinesServer(\n")

    completed = subprocess.run(
        [sys.executable, "-c", example + "\nprint('the example ran')"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip().endswith("the example ran")
