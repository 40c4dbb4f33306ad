"""Which part of a version a change touches."""

from __future__ import annotations

from enum import Enum


class VersionType(Enum):
    """The three parts of a :class:`~chariots_core.versioning.Version`.

    A MAJOR change breaks compatibility with what was built on the old version (a model trained on
    the output of the op must be retrained); MINOR and PATCH changes do not.
    """

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
