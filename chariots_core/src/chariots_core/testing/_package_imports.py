"""Test folders inside a distribution's folder named like its package, imported as pytest does.

A repository of several distributions lays them out as ``<repo>/chariots_rq/src/chariots_rq``
with the tests in ``<repo>/chariots_rq/tests``. Under ``--import-mode=importlib`` pytest names
a test module (a ``conftest.py`` too) after its path from the root: ``chariots_rq.tests.conftest``;
and when ``chariots_rq`` is not imported yet, it makes up that parent from the folder it sees: a
namespace package over ``<repo>/chariots_rq/``, holding none of the package's modules. Every
``import chariots_rq…`` of the session then fails (or finds the wrong thing).

The chariots pytest plugin prevents it, once for every such layout: before pytest imports
anything below a folder of the root that holds a distribution (its ``pyproject.toml``,
``setup.py`` or ``setup.cfg``) and is named like a package installed elsewhere (a regular
package, not that folder), it imports the installed package, which pytest then takes as the
parent (and hangs the tests' modules on).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["import_installed_packages_over"]


def _top_folder(path: Path, root: Path) -> str | None:
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return relative.parts[0] if relative.parts else None


#: the files that make a folder a distribution's
DISTRIBUTION_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def import_installed_packages_over(paths: Iterable[str | Path], root: Path) -> None:
    """Import the installed package named like the top folder (below ``root``) of each path,
    when that folder holds a distribution and is not the package itself; names that are no
    installed package are left alone."""
    for path in paths:
        name = _top_folder(Path(str(path).split("::", 1)[0]), root)
        if name is None or not name.isidentifier() or name in sys.modules:
            continue
        if not any((root / name / file).is_file() for file in DISTRIBUTION_FILES):
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.origin is None or not spec.submodule_search_locations:
            continue  # not a regular package: pytest's own naming does no harm
        if Path(spec.origin).resolve().parent == (root / name).resolve():
            continue  # the folder is the package
        try:
            importlib.import_module(name)
        except Exception:  # a broken package fails its own tests, with its own error
            continue
