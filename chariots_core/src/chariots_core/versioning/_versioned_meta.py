"""The metaclass that gives every op class a ``__version__`` built from its versioned fields."""

from __future__ import annotations

from abc import ABCMeta
from typing import Any

from chariots_core.versioning._version import Version
from chariots_core.versioning._version_type import VersionType
from chariots_core.versioning._versioned_field import (
    VersionedField,
    VersionedFieldDict,
    field_version,
)


def _own_fields(namespace: dict[str, Any]) -> dict[str, list[tuple[str, VersionedField[Any]]]]:
    """The versioned fields a class's own namespace defines, per attribute name: a field under
    its name, a versioned dict's entries under their own keys (as the original chariots keyed
    them); a plain attribute defines none (it shadows an inherited field of that name)."""
    own: dict[str, list[tuple[str, VersionedField[Any]]]] = {}
    for name, value in namespace.items():
        if isinstance(value, VersionedField):
            own[name] = [(name, value)]
        elif isinstance(value, VersionedFieldDict):
            own[name] = list(value.versioned_fields().items())
        else:
            own[name] = []
    return own


def _keyed_fields(cls: type) -> dict[str, VersionedField[Any]]:
    by_attribute: dict[str, list[tuple[str, VersionedField[Any]]]] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for name, fields in _own_fields(dict(vars(klass))).items():
            by_attribute.pop(name, None)  # re-inserted last: its definition is the latest
            by_attribute[name] = fields
    keyed: dict[str, VersionedField[Any]] = {}
    for fields in by_attribute.values():
        keyed.update(fields)
    return keyed


def atomic_versions(cls: type) -> dict[str, Version]:
    """The versions that make up ``cls``'s version, keyed as the original chariots keyed them:
    a field by its name, a versioned dict's entry by its key.

    The most derived definition of each attribute wins (a subclass that redefines a versioned
    dict drops the entries it no longer holds); where one key is defined twice, the later
    definition wins.
    """
    return {key: field_version(key, field) for key, field in _keyed_fields(cls).items()}


def class_version(cls: type) -> Version:
    """Compute the version of ``cls`` from its atomic versions, in the order of their keys.

    Each field feeds only the part it affects (unlike the original chariots, where adding a
    field of any kind changed all three parts): a new MINOR field changes only the minor hash.
    A class without versioned fields has the empty version.
    """
    version = Version()
    for key, field in sorted(_keyed_fields(cls).items()):
        atomic = field_version(key, field).hashes[_PART_INDEX[field.affected_version]]
        version.update(field.affected_version, atomic.encode())
    return version


_PART_INDEX = {VersionType.MAJOR: 0, VersionType.MINOR: 1, VersionType.PATCH: 2}


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


#: the metaclass under the original chariots' name
VersionableMeta = VersionedMeta
