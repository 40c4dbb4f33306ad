"""Versions of ops: which changes break what was built on them, and which do not."""

from chariots_core.versioning._stable_repr import stable_repr
from chariots_core.versioning._version import Version
from chariots_core.versioning._version_type import VersionType
from chariots_core.versioning._versioned_field import VersionedField, VersionedFieldDict
from chariots_core.versioning._versioned_meta import VersionedMeta, class_version

__all__ = [
    "Version",
    "VersionType",
    "VersionedField",
    "VersionedFieldDict",
    "VersionedMeta",
    "class_version",
    "stable_repr",
]
