"""``chariots new``: a project made from the shipped template, whose own tests pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chariots_core.cli import main

#: what a new project holds (besides its package's __init__ files)
PROJECT_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "{name}/app.py",
    "{name}/cli.py",
    "{name}/ops/data_ops.py",
    "{name}/ops/feature_ops.py",
    "{name}/ops/model_ops.py",
    "{name}/pipelines/train_iris.py",
    "{name}/pipelines/pred_iris.py",
    "tests/conftest.py",
    "tests/test_pipelines.py",
    "tests/test_server.py",
}


def _new(*args: str, input_text: str | None = None) -> Result:
    return CliRunner().invoke(main, ["new", *args], input=input_text)


def _files(project: Path) -> set[str]:
    return {path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()}


def test_a_new_project_passes_its_own_tests(tmp_path: Path) -> None:
    result = _new("--project-name", "demo", "--worker-backend", "embedded", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    project = tmp_path / "demo"
    assert "made project 'demo'" in result.output
    assert {name.format(name="demo") for name in PROJECT_FILES} <= _files(project)
    assert not any(name.endswith(".jinja") for name in _files(project))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHARIOTS_", "PYTEST_")) and key != "PYTHONPATH"
    }
    env["DEMO_HOME"] = str(tmp_path / "demo_home")  # the app's import-time op store folder
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout, run.stdout


def test_the_answers_are_asked_for_when_not_given(tmp_path: Path) -> None:
    result = _new("-o", str(tmp_path), input_text="bad-name\nprompted\nnosuch\nrq\n")
    assert result.exit_code == 0, result.output
    assert "project name [iris]:" in result.output
    assert "must be a Python package name" in result.output
    assert "worker backend (" in result.output
    project = tmp_path / "prompted"
    app = (project / "prompted" / "app.py").read_text()
    assert 'WORKER_POOL: str | None = "rq://localhost:6379/0"' in app
    pyproject = (project / "pyproject.toml").read_text()
    assert '"chariots-core[sklearn,rq]>=' in pyproject
    assert "chariots worker --app prompted.app:app" in (project / "README.md").read_text()


def test_the_embedded_backend_leaves_the_app_on_the_default_pool(tmp_path: Path) -> None:
    result = _new("--project-name", "plain", "--worker-backend", "embedded", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "WORKER_POOL: str | None = None" in (tmp_path / "plain/plain/app.py").read_text()
    assert '"chariots-core[sklearn]>=' in (tmp_path / "plain/pyproject.toml").read_text()


def test_answers_from_a_json_file_as_the_original_took_them(tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(
        json.dumps(
            {
                "project_name": "from_file",
                "worker_backend": "embedded",
                "author": "Ada",
                "project_short_description": "Flowers, classified.",
            }
        )
    )
    result = _new("-c", str(answers), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pyproject = (tmp_path / "out/from_file/pyproject.toml").read_text()
    assert 'authors = [{ name = "Ada" }]' in pyproject
    assert 'description = "Flowers, classified."' in pyproject


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--project-name", "My-Project", "--worker-backend", "embedded"], "Python package name"),
        (["--project-name", "class", "--worker-backend", "embedded"], "Python package name"),
        (["--project-name", "chariots_core", "--worker-backend", "embedded"], "shadow"),
        (["--project-name", "demo", "--worker-backend", "nosuch"], "not a worker backend"),
    ],
)
def test_what_cannot_make_a_project_is_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = _new(*args, "-o", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_empty_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "mine.txt").write_text("keep me")
    result = _new("--project-name", "demo", "--worker-backend", "embedded", "-o", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "exists and is not empty" in result.output
    assert _files(tmp_path / "demo") == {"mine.txt"}
