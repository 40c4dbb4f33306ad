"""Class attributes that count towards their class's version."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

from chariots_core.versioning._stable_repr import stable_repr
from chariots_core.versioning._version import Version
from chariots_core.versioning._version_type import VersionType

T = TypeVar("T")


class VersionedField(Generic[T]):
    """A class attribute whose value counts towards the owning class's ``__version__``.

    ``model_class = VersionedField(PCA, VersionType.MAJOR)`` reads as ``PCA`` on the class and its
    instances; changing it changes the class's major version.
    """

    def __init__(self, value: T, affected_version: VersionType) -> None:
        if not isinstance(affected_version, VersionType):
            raise TypeError(f"affected_version must be a VersionType, not {affected_version!r}")
        self.value = value
        self.affected_version = affected_version

    @overload
    def __get__(self, instance: None, owner: type) -> T: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> T:
        return self.value

    def __repr__(self) -> str:
        return f"VersionedField({self.value!r}, {self.affected_version})"


class VersionedFieldDict(Mapping[str, Any]):
    """A dict attribute each of whose entries counts towards the owning class's version.

    ``VersionedFieldDict(VersionType.MAJOR, {"n_components": 2})``: plain values affect the
    default version type (MAJOR, as in the original chariots); a value given as a
    :class:`VersionedField` affects its own. It reads as itself on the class and its instances:
    a read-only mapping of the values (ready for ``model_class(**params)``), whose
    :attr:`version_dict` gives each entry's version, keyed by the entry's key.
    """

    def __init__(
        self,
        default_version: VersionType = VersionType.MAJOR,
        fields: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(default_version, VersionType):
            raise TypeError(f"default_version must be a VersionType, not {default_version!r}")
        self.default_version = default_version
        items = dict(fields or {}, **kwargs)
        for key in items:
            if not isinstance(key, str):
                raise TypeError(f"VersionedFieldDict keys must be strings, not {key!r}")
        self._fields: dict[str, VersionedField[Any]] = {
            key: value
            if isinstance(value, VersionedField)
            else VersionedField(value, default_version)
            for key, value in items.items()
        }

    def versioned_fields(self) -> dict[str, VersionedField[Any]]:
        """Each entry as a :class:`VersionedField` (its value and the part it affects)."""
        return dict(self._fields)

    @property
    def version_dict(self) -> dict[str, Version]:
        """The version of each entry, keyed by the entry's key (as the original chariots had it):
        what the entries add to the owning class's version."""
        return {key: field_version(key, field) for key, field in self._fields.items()}

    def __getitem__(self, key: str) -> Any:
        return self._fields[key].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"VersionedFieldDict({self.default_version}, {dict(self)!r})"


def field_version(key: str, field: VersionedField[Any]) -> Version:
    """The version one versioned field (or dict entry) adds to its class's version.

    Its value is read with :func:`stable_repr` (the same in every process) together with its key,
    so that a field renamed changes the version too.
    """
    return Version().update(field.affected_version, f"{key}={stable_repr(field.value)}".encode())
