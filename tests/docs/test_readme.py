"""The README's examples run as they are: its Python blocks, in order, in one namespace (in a
fresh interpreter, in an empty folder), and its curl commands against a real ``chariots serve``
of the example app, each answering the JSON the README shows (but for the versions' hashes)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from chariots_core.testing.services import free_port

REPOSITORY = Path(__file__).parents[2]
README = REPOSITORY / "README.md"
_BLOCK = re.compile(r"^```(?P<language>\w+)\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


#: chariots-core's README is its wheel's description (the plugins' show snippets of an app)
CORE_README = REPOSITORY / "chariots_core" / "README.md"


def blocks(language: str, readme: Path = README) -> list[str]:
    return [m["code"] for m in _BLOCK.finditer(readme.read_text()) if m["language"] == language]


def test_every_python_block_of_the_readme_runs_as_it_is(tmp_path: Path) -> None:
    python = blocks("python")
    assert len(python) >= 2
    script = tmp_path / "readme_blocks.py"
    script.write_text("\n\n".join(python))

    completed = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "JobStatus.done 1" in completed.stdout  # what the README says the job prints


def test_the_python_block_of_chariots_cores_readme_runs_as_it_is(tmp_path: Path) -> None:
    (code,) = blocks("python", CORE_README)

    completed = subprocess.run(
        [sys.executable, "-c", code + "\nprint(app.name)"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip().endswith("my_app")


def curl_examples() -> list[tuple[list[str], str]]:
    """The README's curl commands, each with the answer it shows (the comment that follows)."""
    examples: list[tuple[list[str], str]] = []
    for block in blocks("sh"):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            if line.startswith("curl "):
                shown = lines[index + 1].removeprefix("# ") if index + 1 < len(lines) else ""
                examples.append((shlex.split(line), shown))
    return examples


@pytest.fixture
def served_example_app(tmp_path: Path) -> Iterator[str]:
    """``chariots serve --app iris_app:app`` from ``examples/``, as the README starts it, on a
    free port, its models in a temporary folder; stopped by its pid."""
    chariots = shutil.which("chariots", path=str(Path(sys.executable).parent))
    assert chariots is not None, "the chariots command is not installed in this environment"
    port = free_port()
    env = {**os.environ, "CHARIOTS_HOME": str(tmp_path / "home")}
    server = subprocess.Popen(
        [chariots, "serve", "--app", "iris_app:app", "--port", str(port)],
        cwd=REPOSITORY / "examples", env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/health_check", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None:
                _, errors = server.communicate()
                pytest.fail(f"chariots serve exited: {errors.decode(errors='replace')}")
            assert time.monotonic() < deadline, "chariots serve did not answer within 60 s"
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _shape(value: object) -> object:
    """An answer with its versions' texts left out (the README shows them cut): a mapping of
    op names to versions becomes the sorted names."""
    if isinstance(value, dict):
        if value and all(isinstance(item, str) for item in value.values()):
            return sorted(value)
        return {key: _shape(item) for key, item in value.items()}
    return value


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on PATH")
def test_the_readmes_curl_commands_answer_what_it_shows(served_example_app: str) -> None:
    examples = curl_examples()
    assert len(examples) == 4

    for command, shown in examples:
        command = [part.replace("localhost:5000", served_example_app) for part in command]
        completed = subprocess.run(
            [*command, "--fail-with-body"], capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert completed.returncode == 0, (command, completed.stdout, completed.stderr)
        answer = json.loads(completed.stdout)
        expected = json.loads(shown.replace("…", ""))
        assert _shape(answer) == _shape(expected), (command, answer)
