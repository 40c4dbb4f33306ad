"""Versions of ops: which changes break what was built on them, and which do not."""

from chariots_core.versioning._by_name import VersionsByName
from chariots_core.versioning._stable_repr import stable_repr
from chariots_core.versioning._version import Version
from chariots_core.versioning._version_type import VersionType
from chariots_core.versioning._versioned_field import VersionedField, VersionedFieldDict
from chariots_core.versioning._versioned_meta import (
    VersionableMeta,
    VersionedMeta,
    atomic_versions,
    class_version,
)

__all__ = [
    "Version",
    "VersionType",
    "VersionableMeta",
    "VersionedField",
    "VersionedFieldDict",
    "VersionedMeta",
    "VersionsByName",
    "atomic_versions",
    "class_version",
    "stable_repr",
]
