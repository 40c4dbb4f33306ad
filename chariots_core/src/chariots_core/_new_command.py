"""The answers of ``chariots new``: from its options, a JSON file of answers, or prompts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from chariots_core.new_project import (
    KNOWN_BACKENDS,
    ProjectError,
    ProjectSpec,
    check_project_name,
)
from chariots_core.workers import available_backends

#: the project name offered when asking for one (the original chariots' template's)
DEFAULT_PROJECT_NAME = "iris"


def project_spec(
    project_name: str | None, worker_backend: str | None, config_file: Path | None
) -> ProjectSpec:
    """The project to make: the options first, then the answers file, then prompts."""
    answers = _answers_file(config_file) if config_file is not None else {}
    name = project_name or answers.get("project_name")
    if name is None:
        name = click.prompt("project name", default=DEFAULT_PROJECT_NAME, value_proc=_name)
    installed = {info.name: info for info in available_backends() if info.loaded}
    choices = sorted(set(KNOWN_BACKENDS) | set(installed))
    backend = worker_backend or answers.get("worker_backend")
    if backend is None:
        backend = click.prompt(
            "worker backend",
            type=click.Choice(choices),
            default="embedded",
            show_choices=True,
        )
    backend = str(backend).strip().lower()
    if backend not in choices:
        raise click.BadParameter(
            f"{backend!r} is not a worker backend (choose from {', '.join(choices)})",
            param_hint="'--worker-backend'",
        )
    info = installed.get(backend)
    return ProjectSpec(
        project_name=_name(str(name)),
        worker_backend=backend,
        author=str(answers.get("author", "")),
        description=str(answers.get("project_short_description", ProjectSpec.description)),
        backend_distribution=(
            info.distribution if info is not None and backend not in KNOWN_BACKENDS else None
        ),
    )


def _name(value: str) -> str:
    try:
        return check_project_name(value.strip())
    except ProjectError as error:
        raise click.BadParameter(str(error)) from None


def _answers_file(path: Path) -> dict[str, Any]:
    try:
        answers = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise click.BadParameter(
            f"{path} is not JSON: {error}", param_hint="'--config-file'"
        ) from None
    if not isinstance(answers, dict):
        raise click.BadParameter(f"{path} must hold a JSON object", param_hint="'--config-file'")
    return answers
