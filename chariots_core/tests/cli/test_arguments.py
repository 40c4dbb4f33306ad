"""Mistakes in what ``chariots`` is given: one line saying what is wrong, exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from _plugin_dists import (
    EXPECTED_BACKENDS,
    PUBLISHED_BACKENDS,
    installed_backends_in,
    published_backend_not_installed,
)
from click.testing import CliRunner, Result

from chariots_core.cli import main


def _invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("command", ["serve", "worker", "jobs"])
def test_an_app_is_required(plugins_folder: Path, command: str) -> None:
    line = _one_error_line(_invoke(command))

    assert line == "Error: no app given: pass --app package.module:app or set $CHARIOTS_APP"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "chariots_test_app",
            "Error: cannot load app 'chariots_test_app': an app is given as "
            "'package.module:attribute', not 'chariots_test_app'",
        ),
        (
            "chariots_no_such_module:app",
            "Error: cannot import app 'chariots_no_such_module:app': ModuleNotFoundError: "
            "No module named 'chariots_no_such_module'",
        ),
        (
            "chariots_test_app:missing",
            "Error: cannot load app 'chariots_test_app:missing': module 'chariots_test_app' has "
            "no attribute 'missing'",
        ),
        (
            "chariots_test_app:not_an_app",
            "Error: cannot load app 'chariots_test_app:not_an_app': "
            "'chariots_test_app:not_an_app' is a int, not a PipelinesServer",
        ),
    ],
)
def test_an_app_that_does_not_load(plugins_folder: Path, spec: str, message: str) -> None:
    assert _one_error_line(_invoke("jobs", "--app", spec)) == message
    assert _one_error_line(_invoke("jobs", env={"CHARIOTS_APP": spec})) == message


def test_an_unknown_pool(plugins_folder: Path) -> None:
    line = _one_error_line(_invoke("worker", "--app", "chariots_test_app:app", "--pool", "dumy"))

    assert "no worker pool backend named 'dumy' is installed" in line
    assert set(installed_backends_in(line)) >= EXPECTED_BACKENDS
    assert "did you mean 'dummy'?" in line


def test_a_pool_whose_distribution_is_not_installed(plugins_folder: Path) -> None:
    backend = published_backend_not_installed()
    distribution = PUBLISHED_BACKENDS[backend][0]

    line = _one_error_line(
        _invoke("worker", "--app", "chariots_test_app:app", "--pool", f"{backend}://localhost/0")
    )

    assert f"`pip install chariots-core[{backend}]` (distribution {distribution})" in line


def test_a_pool_whose_plugin_is_broken(plugins_folder: Path) -> None:
    line = _one_error_line(_invoke("worker", "--app", "chariots_test_app:app", "--pool", "broken"))

    assert "ImportError: chariots_test_broken needs the 'missing_sdk' package" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["jobs", "--app", "chariots_test_app:app", "--status", "bogus"], "'bogus' is not one of"),
        (["worker", "--app", "chariots_test_app:app", "--concurrency", "0"], "0 is not in the"),
        (["serve", "--app", "chariots_test_app:app", "--port", "70000"], "70000 is not in the"),
        (["no-such-command"], "No such command 'no-such-command'"),
    ],
)
def test_bad_options_are_usage_errors(plugins_folder: Path, args: list[str], message: str) -> None:
    result = _invoke(*args)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_app_from_the_environment(plugins_folder: Path) -> None:
    result = _invoke("jobs", env={"CHARIOTS_APP": "chariots_test_app:app"})

    assert result.exit_code == 0, result.output
    assert result.output == "0 of 0 jobs\n"
