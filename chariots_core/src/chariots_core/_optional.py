"""Importing the libraries that optional parts of chariots need, with an error saying what to
install."""

from __future__ import annotations

import importlib
from types import ModuleType

from chariots_core.errors import BackendError


def import_optional(module: str, extra: str, needed_by: str) -> ModuleType:
    """Import ``module``; :class:`~chariots_core.errors.BackendError` (an ``ImportError``) naming
    the extra of chariots-core that brings it when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise BackendError(
            f"{needed_by} needs {module}, which is not installed: "
            f"pip install 'chariots-core[{extra}]'"
        ) from error
