"""Class attributes that count towards their class's version."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

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
    """A dict attribute each of whose items counts towards the owning class's version.

    ``VersionedFieldDict(VersionType.MAJOR, {"n_components": 2})``: plain values affect the default
    version type; a value given as a :class:`VersionedField` affects its own. Read on the class or
    an instance, it gives a plain ``dict`` of the values (ready for ``model_class(**params)``).
    """

    def __init__(
        self,
        default_version: VersionType = VersionType.MINOR,
        fields: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(default_version, VersionType):
            raise TypeError(f"default_version must be a VersionType, not {default_version!r}")
        self.default_version = default_version
        items = dict(fields or {}, **kwargs)
        self._fields: dict[str, VersionedField[Any]] = {
            key: value
            if isinstance(value, VersionedField)
            else VersionedField(value, default_version)
            for key, value in items.items()
        }

    def versioned_fields(self) -> dict[str, VersionedField[Any]]:
        return dict(self._fields)

    def __getitem__(self, key: str) -> Any:
        return self._fields[key].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __get__(self, instance: object | None, owner: type) -> dict[str, Any]:
        return {key: field.value for key, field in self._fields.items()}

    def __repr__(self) -> str:
        return f"VersionedFieldDict({self.default_version}, {dict(self)!r})"
