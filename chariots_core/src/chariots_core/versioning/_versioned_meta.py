"""The metaclass that gives every op class a ``__version__`` built from its versioned fields."""

from __future__ import annotations

from abc import ABCMeta
from typing import Any

from chariots_core.versioning._stable_repr import stable_repr
from chariots_core.versioning._version import Version
from chariots_core.versioning._versioned_field import VersionedField, VersionedFieldDict


def _class_fields(namespace_chain: list[dict[str, Any]]) -> dict[str, VersionedField[Any]]:
    """The versioned fields in force on a class: the most derived definition of each name wins."""
    fields: dict[str, VersionedField[Any]] = {}
    shadowed: set[str] = set()
    for namespace in namespace_chain:  # most derived first
        for name, value in namespace.items():
            if name in shadowed:
                continue
            shadowed.add(name)
            if isinstance(value, VersionedField):
                fields[name] = value
            elif isinstance(value, VersionedFieldDict):
                for key, field in value.versioned_fields().items():
                    fields[f"{name}[{key}]"] = field
    return fields


def class_version(cls: type) -> Version:
    """Compute the version of ``cls`` from the versioned fields of it and its bases."""
    chain = [vars(klass) for klass in cls.__mro__ if klass is not object]
    version = Version()
    for name, field in sorted(_class_fields([dict(ns) for ns in chain]).items()):
        version.update(field.affected_version, f"{name}={stable_repr(field.value)}".encode())
    return version


class VersionedMeta(ABCMeta):
    """Gives each class a ``__version__`` (a :class:`Version`) computed when the class is made.

    The hashes depend only on the versioned fields' names and values, so the same class has the
    same version in every process and interpreter run.
    """

    __version__: Version

    def __init__(
        cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> None:
        # ``kwargs`` are class keywords (``class Op(Base, flavour=...)``) for __init_subclass__
        super().__init__(name, bases, namespace, **kwargs)
        cls.__version__ = class_version(cls)
