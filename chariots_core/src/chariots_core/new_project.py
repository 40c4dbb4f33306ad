"""``chariots new``: a new project made from the template shipped in this package.

The project (the original chariots' template, rewritten for chariots_core) holds an app
(``<name>/app.py``: a :class:`~chariots_core.pipelines.PipelinesServer`), ops (data, features,
models) and pipelines training and using an iris classifier on scikit-learn's bundled data (no
download), a command line, a README, a ``pyproject.toml``, and tests that run with nothing but
the project's dependencies installed: no network, no broker (they use the embedded pool,
whichever backend the project was made for).

The templates are Jinja files under ``chariots_core/project_template`` (package data shipped in
the wheel); the folder ``_package_`` becomes the project's package.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from chariots_core import __version__

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

#: the worker pool backends offered by the distributions of this project, and the pool URL a
#: new project's app uses for each (None: the default, the embedded pool)
KNOWN_BACKENDS: dict[str, str | None] = {
    "embedded": None,
    "rq": "rq://localhost:6379/0",
    "celery": "celery+redis://localhost:6379/0",
    "dramatiq": "dramatiq+redis://localhost:6379/0",
}
#: backends installed with chariots-core itself (no extra to name)
_CORE_BACKENDS = frozenset({"embedded"})

_TEMPLATE_PACKAGE = "project_template"
_PACKAGE_FOLDER = "_package_"
_SUFFIX = ".jinja"
_PROJECT_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RESERVED_NAMES = frozenset({"chariots", "chariots_core", "tests", "test", "app", "pipelines"})


class ProjectError(ValueError):
    """What ``chariots new`` was given cannot make a project (the message says why)."""


@dataclass(frozen=True)
class ProjectSpec:
    """What a new project is made of: its name and the worker backend its app uses.

    ``backend_distribution`` is the distribution to depend on for a backend that is not one of
    this project's (a third party's installed plugin); ``None`` for ours.
    """

    project_name: str
    worker_backend: str = "embedded"
    author: str = ""
    description: str = "Machine-learning pipelines served with chariots."
    backend_distribution: str | None = None

    @property
    def worker_pool(self) -> str | None:
        """The pool spec the app is given: the backend's URL, its name, or None (default)."""
        if self.worker_backend in KNOWN_BACKENDS:
            return KNOWN_BACKENDS[self.worker_backend]
        return self.worker_backend

    @property
    def requirement(self) -> str:
        """The project's requirement on chariots-core, with the extras it needs."""
        extras = ["sklearn"]
        if self.worker_backend in KNOWN_BACKENDS and self.worker_backend not in _CORE_BACKENDS:
            extras.append(self.worker_backend)
        return f"chariots-core[{','.join(extras)}]>={__version__}"


def check_project_name(name: str) -> str:
    """``name`` if it can name a project and its Python package; :class:`ProjectError` else."""
    if not _PROJECT_NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ProjectError(
            f"project name {name!r} must be a Python package name: lower-case letters, digits "
            "and '_', starting with a letter"
        )
    if name in _RESERVED_NAMES:
        raise ProjectError(f"project name {name!r} would shadow a module the project imports")
    return name


def generate_project(spec: ProjectSpec, output_dir: str | Path) -> Path:
    """Write the project ``spec`` describes into ``output_dir/<project_name>``; returns it.

    Refuses (:class:`ProjectError`) a folder that exists and is not empty.
    """
    check_project_name(spec.project_name)
    target = Path(output_dir) / spec.project_name
    if target.exists() and any(target.iterdir()):
        raise ProjectError(f"{target} exists and is not empty: choose another name or folder")
    environment = jinja2.Environment(
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False
    )
    context = {
        "project_name": spec.project_name,
        "env_prefix": spec.project_name.upper(),
        "worker_backend": spec.worker_backend,
        "worker_pool": spec.worker_pool,
        "requirement": spec.requirement,
        "backend_distribution": spec.backend_distribution,
        "author": spec.author,
        "description": spec.description,
        "chariots_version": __version__,
    }
    for relative, template in _templates():
        path = target / _rendered_path(relative, spec.project_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = environment.from_string(template.read_text(encoding="utf-8")).render(context)
        path.write_text(text, encoding="utf-8")
    return target


def _templates() -> Iterator[tuple[str, Traversable]]:
    """Each template file with its path relative to the template's root, ``/``-separated."""
    root = resources.files("chariots_core") / _TEMPLATE_PACKAGE
    pending: list[tuple[str, Traversable]] = [("", root)]
    while pending:
        prefix, folder = pending.pop()
        for entry in sorted(folder.iterdir(), key=lambda item: item.name):
            relative = f"{prefix}{entry.name}"
            if entry.is_dir():
                if entry.name != "__pycache__":
                    pending.append((f"{relative}/", entry))
            elif entry.name.endswith(_SUFFIX):
                yield relative, entry


def _rendered_path(relative: str, project_name: str) -> Path:
    parts = [project_name if part == _PACKAGE_FOLDER else part for part in relative.split("/")]
    parts[-1] = parts[-1].removesuffix(_SUFFIX)
    if parts[-1] == "gitignore":  # a dotfile in the package would be left out of some builds
        parts[-1] = ".gitignore"
    return Path(*parts)
