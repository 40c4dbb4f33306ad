"""`Version`: hashes, equality, ordering, string round trip and combination."""

from __future__ import annotations

import hashlib

import pytest

from chariots_core.versioning import Version, VersionType

EMPTY = hashlib.sha1(b"").hexdigest()


def test_a_new_version_has_three_sha1_hex_hashes():
    version = Version()
    assert version.hashes == (EMPTY, EMPTY, EMPTY)
    for part in version.hashes:
        assert len(part) == 40
        int(part, 16)


@pytest.mark.parametrize(
    ("version_type", "changed_index"),
    [(VersionType.MAJOR, 0), (VersionType.MINOR, 1), (VersionType.PATCH, 2)],
)
def test_update_changes_only_its_own_part(version_type, changed_index):
    before = Version()
    after = Version().update(version_type, b"something")
    for index, (old, new) in enumerate(zip(before.hashes, after.hashes, strict=True)):
        assert (old != new) is (index == changed_index)


def test_update_shortcuts_match_update():
    assert Version().update_major(b"a") == Version().update(VersionType.MAJOR, b"a")
    assert Version().update_minor(b"a") == Version().update(VersionType.MINOR, b"a")
    assert Version().update_patch(b"a") == Version().update(VersionType.PATCH, b"a")


def test_updates_are_chained_so_their_order_counts():
    ab = Version().update_major(b"a").update_major(b"b")
    ba = Version().update_major(b"b").update_major(b"a")
    assert ab != ba
    assert ab == Version().update_major(b"a").update_major(b"b")


def test_equality_is_by_hashes_only():
    old = Version(creation_time=1.0).update_minor(b"x")
    new = Version(creation_time=2.0).update_minor(b"x")
    assert old == new
    assert hash(old) == hash(new)
    assert len({old, new}) == 1
    assert old != Version(creation_time=1.0).update_minor(b"y")


def test_a_version_is_not_equal_to_its_string():
    version = Version()
    assert version != str(version)


def test_versions_order_by_creation_time_not_hashes():
    # the older one has the "larger" hashes: ordering must still follow time
    older = Version("f" * 40, "f" * 40, "f" * 40, creation_time=10.0)
    newer = Version("0" * 40, "0" * 40, "0" * 40, creation_time=20.0)
    assert older < newer
    assert newer > older
    assert max([newer, older]) is newer
    assert sorted([newer, older]) == [older, newer]


def test_ordering_against_other_types_is_refused():
    with pytest.raises(TypeError):
        _ = Version() < "a version"


@pytest.mark.parametrize("creation_time", [0.0, 1.5, 1_700_000_000.123456, 1e-7, 1e20])
def test_str_and_parse_round_trip(creation_time):
    version = Version(creation_time=creation_time).update_major(b"m").update_patch(b"p")
    parsed = Version.parse(str(version))
    assert parsed == version
    assert parsed.hashes == version.hashes
    assert parsed.creation_time == version.creation_time
    assert str(parsed) == str(version)


def test_str_holds_the_three_hashes():
    version = Version().update_major(b"m")
    major, minor, patch, _ = str(version).split("_")
    assert (major, minor, patch) == version.hashes


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a version",
        "_".join([EMPTY, EMPTY, EMPTY]),  # no creation time
        "_".join([EMPTY, EMPTY, EMPTY, "1.0", "extra"]),
        "_".join([EMPTY, EMPTY, "xyz", "1.0"]),  # not hex
        "_".join([EMPTY, EMPTY, EMPTY[:-1], "1.0"]),  # too short
        "_".join([EMPTY, EMPTY, EMPTY.upper(), "1.0"]),  # hexdigest() is lower case
        "_".join([EMPTY, EMPTY, EMPTY, "yesterday"]),
    ],
)
def test_parse_refuses_garbage_with_a_message(garbage):
    with pytest.raises(ValueError, match=r"version string") as error:
        Version.parse(garbage)
    assert repr(garbage) in str(error.value)


def test_add_combines_every_part_and_keeps_the_newest_time():
    left = Version(creation_time=1.0).update_major(b"a")
    right = Version(creation_time=5.0).update_patch(b"b")
    total = left + right
    assert total.creation_time == 5.0
    for part, left_part, right_part in zip(total.hashes, left.hashes, right.hashes, strict=True):
        assert part not in (left_part, right_part)
    assert total == Version().update_major(b"a") + Version().update_patch(b"b")
    # the left operand's hashes are not changed in place
    assert left == Version().update_major(b"a")


def test_add_is_sensitive_to_each_part_separately():
    base = Version()
    patched = Version().update_patch(b"p")
    total, total_patched = base + base, base + patched
    assert total.major == total_patched.major
    assert total.minor == total_patched.minor
    assert total.patch != total_patched.patch


def test_add_refuses_other_types():
    with pytest.raises(TypeError):
        _ = Version() + "abc"


def test_repr_is_short_and_names_the_parts():
    version = Version().update_major(b"a")
    text = repr(version)
    assert version.major[:7] in text
    assert version.major not in text
    assert "major" in text
