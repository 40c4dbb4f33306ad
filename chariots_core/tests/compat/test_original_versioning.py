"""The original chariots' versioning names and how it keyed a class's versioned fields."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from chariots_core.versioning import (
    Version,
    VersionableMeta,
    VersionedField,
    VersionedFieldDict,
    VersionedMeta,
    VersionType,
)


def _versioned(**namespace: object) -> type:
    return VersionableMeta("Versioned", (), dict(namespace))


def test_versionable_meta_is_the_metaclass_under_its_original_name() -> None:
    assert VersionableMeta is VersionedMeta

    class MyVersionedClass(metaclass=VersionableMeta):
        foo = VersionedField(3, VersionType.MINOR)

    assert isinstance(MyVersionedClass.__version__, Version)
    assert MyVersionedClass.foo == 3
    assert _versioned().__version__ == Version()


def test_versioned_field_dict_affects_major_by_default() -> None:
    params = VersionedFieldDict(fields={"n": 1})
    assert params.default_version is VersionType.MAJOR
    old = _versioned(params=VersionedFieldDict(fields={"n": 1}))
    new = _versioned(params=VersionedFieldDict(fields={"n": 2}))
    assert old.__version__.major != new.__version__.major
    assert (old.__version__.minor, old.__version__.patch) == (
        new.__version__.minor,
        new.__version__.patch,
    )


def test_version_dict_keys_each_entry_by_its_key_with_its_own_version() -> None:
    params = VersionedFieldDict(
        VersionType.PATCH, {"foo": 1, "blu": VersionedField(3, VersionType.MAJOR)}
    )
    versions = params.version_dict
    assert set(versions) == {"foo", "blu"}
    assert all(isinstance(version, Version) for version in versions.values())
    empty = Version()
    assert versions["foo"].major == empty.major
    assert versions["foo"].patch != empty.patch
    assert versions["blu"].patch == empty.patch
    assert versions["blu"].major != empty.major


def test_a_versioned_field_dict_reads_as_itself_on_the_class_as_in_the_original() -> None:
    klass = _versioned(versioned_dict=VersionedFieldDict(VersionType.PATCH, {"foo": 1}))
    assert isinstance(klass.versioned_dict, Mapping)
    assert klass.versioned_dict["foo"] == 1
    assert dict(klass.versioned_dict) == {"foo": 1}
    assert set(klass.versioned_dict.version_dict) == {"foo"}


def test_entries_are_keyed_by_their_own_key_not_by_the_dict_that_holds_them() -> None:
    # as the original keyed them: renaming the dict, or moving an entry to another dict of the
    # same default version type, keeps the class's version
    one = _versioned(model_parameters=VersionedFieldDict(VersionType.MAJOR, {"n": 2, "tol": 0.1}))
    renamed = _versioned(params=VersionedFieldDict(VersionType.MAJOR, {"n": 2, "tol": 0.1}))
    split = _versioned(
        model_parameters=VersionedFieldDict(VersionType.MAJOR, {"n": 2}),
        fit_parameters=VersionedFieldDict(VersionType.MAJOR, {"tol": 0.1}),
    )
    assert one.__version__ == renamed.__version__ == split.__version__


def test_an_entry_and_a_field_of_one_key_count_once_the_later_definition_winning() -> None:
    both = _versioned(
        n=VersionedField(1, VersionType.MAJOR),
        params=VersionedFieldDict(VersionType.MAJOR, {"n": 2}),
    )
    only_entry = _versioned(params=VersionedFieldDict(VersionType.MAJOR, {"n": 2}))
    assert both.__version__ == only_entry.__version__


def test_a_subclass_redefining_a_dict_drops_the_entries_it_no_longer_holds() -> None:
    parent = _versioned(params=VersionedFieldDict(VersionType.MAJOR, {"n": 2, "tol": 0.1}))
    child = VersionableMeta(
        "Child", (parent,), {"params": VersionedFieldDict(VersionType.MAJOR, {"n": 2})}
    )
    alone = _versioned(params=VersionedFieldDict(VersionType.MAJOR, {"n": 2}))
    assert child.__version__ == alone.__version__


@pytest.mark.parametrize("separator", ["_", "."])
def test_version_strings_of_the_original_form_parse(separator: str) -> None:
    version = Version().update_major(b"a").update_minor(b"b")
    text = separator.join((version.major, version.minor, version.patch)) + "_1560000000.5"
    parsed = Version.parse(text)
    assert parsed == version
    assert parsed.creation_time == 1560000000.5
