"""``chariots plugins``: installed backends, their versions and capabilities, and load errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from _plugin_dists import EXPECTED_BACKENDS


def test_plugins_lists_backends_and_failures_and_exits_0(chariots: Any) -> None:
    done = chariots.run("plugins")

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert (
        "dummy  (chariots-test-dummy 0.1; entry point chariots_test_dummy)\n"
        "    pool chariots_test_dummy.DummyWorkerPool (backend 'dummy')\n"
        "        capabilities: cancel_queued, delay\n"
        "        on dummy+amqp: cancel_queued\n"
        "        on dummy+redis: cancel_queued, delay\n"
    ) in out
    assert (
        "broken  (chariots-test-broken 0.1; entry point chariots_test_broken)\n"
        "    FAILED TO LOAD: ImportError: chariots_test_broken needs the 'missing_sdk' package\n"
    ) in out
    assert "recorder  (chariots-test-recorder 0.1; entry point chariots_test_recorder)\n" in out
    assert "    no worker pool (lifecycle hooks only)\n" in out
    assert "embedded  (chariots-core 0.1.0; entry point chariots_core.workers.embedded.plugin)" in (
        out
    )
    assert "EmbeddedWorkerPool (backend 'embedded')" in out
    assert "Traceback" not in done.stderr
    failed = re.fullmatch(r"(\d+) of (\d+) plugins failed to load: (.*)\n", done.stderr)
    assert failed, done.stderr
    assert set(failed[3].split(", ")) >= {"badargs", "broken", "notapool", "typo"}
    assert int(failed[2]) >= len(EXPECTED_BACKENDS)


def test_plugins_as_json(chariots: Any) -> None:
    done = chariots.run("plugins", "--json")

    assert done.returncode == 0, done.stderr
    infos = {info["name"]: info for info in json.loads(done.stdout)}
    assert set(infos) >= EXPECTED_BACKENDS
    assert infos["broken"]["error"] == {
        "type": "ImportError",
        "message": "chariots_test_broken needs the 'missing_sdk' package",
    }
    assert infos["broken"]["entry_point"] == "chariots_test_broken"
    assert infos["dummy"]["pools"] == [
        {
            "class": "chariots_test_dummy.DummyWorkerPool",
            "backend": "dummy",
            "capabilities": ["cancel_queued", "delay"],
            "capabilities_by_transport": {
                "amqp": ["cancel_queued"],
                "redis": ["cancel_queued", "delay"],
            },
        }
    ]
    assert infos["embedded"]["error"] is None
    assert infos["embedded"]["distribution"] == "chariots-core"
    assert [pool["backend"] for pool in infos["embedded"]["pools"]] == ["embedded"]


def test_the_command_runs_as_a_module(chariots: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chariots_core.cli", "--version"],
        env=chariots.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == "chariots, version 0.1.0\n"
