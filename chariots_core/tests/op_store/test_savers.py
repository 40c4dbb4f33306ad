"""Savers keep op bytes under keys: a local folder, or any fsspec filesystem."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from chariots_core.errors import BadRequest, OpNotFound
from chariots_core.op_store.savers import (
    BaseSaver,
    FileSaver,
    FsspecSaver,
    saver_from_url,
)


@pytest.fixture(params=["file_saver", "fsspec_memory", "fsspec_file_url"])
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseSaver]:
    if request.param == "file_saver":
        yield FileSaver(tmp_path / "ops")
    elif request.param == "fsspec_memory":
        root = f"memory://chariots-tests-{uuid.uuid4().hex}"
        yield FsspecSaver(root)
        memory = fsspec.filesystem("memory")
        if memory.exists(root):
            memory.rm(root, recursive=True)
    else:
        yield FsspecSaver((tmp_path / "ops").as_uri())


def test_round_trip_and_replace(saver: BaseSaver) -> None:
    saver.save("op/abc_def_123", b"first")
    saver.save("other/abc_def_123", b"other")
    assert saver.load("op/abc_def_123") == b"first"

    saver.save("op/abc_def_123", b"second")

    assert saver.load("op/abc_def_123") == b"second"
    assert saver.load("other/abc_def_123") == b"other"


def test_missing_key_is_op_not_found(saver: BaseSaver) -> None:
    with pytest.raises(OpNotFound, match="missing/key"):
        saver.load("missing/key")


def test_delete(saver: BaseSaver) -> None:
    saver.save("op/key", b"data")
    saver.delete("op/key")
    with pytest.raises(OpNotFound):
        saver.load("op/key")
    saver.delete("op/key")  # deleting what is not there is fine


@pytest.mark.parametrize(
    "bad_key", ["", "/", "../escape", "/../escape", "op/../../escape", "op//key", "op\\key", "./op"]
)
def test_keys_cannot_leave_the_root(saver: BaseSaver, bad_key: str) -> None:
    with pytest.raises(BadRequest, match="saver key"):
        saver.save(bad_key, b"data")
    with pytest.raises(BadRequest, match="saver key"):
        saver.load(bad_key)


def test_file_saver_writes_atomically_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    saver = FileSaver(tmp_path / "ops")
    saver.save("op/version", b"one")
    saver.save("op/version", b"two")
    assert sorted(path.name for path in (tmp_path / "ops" / "op").iterdir()) == ["version"]
    assert (tmp_path / "ops" / "op" / "version").read_bytes() == b"two"


def test_fsspec_saver_on_a_file_url_writes_real_files(tmp_path: Path) -> None:
    saver = FsspecSaver((tmp_path / "shared").as_uri())
    saver.save("op/version", b"bytes")
    assert (tmp_path / "shared" / "op" / "version").read_bytes() == b"bytes"
    assert [path.name for path in (tmp_path / "shared" / "op").iterdir()] == ["version"]


def test_fsspec_saver_on_memory_is_shared_by_url() -> None:
    root = f"memory://chariots-tests-{uuid.uuid4().hex}/models"
    FsspecSaver(root).save("op/version", b"bytes")
    try:
        assert FsspecSaver(root).load("op/version") == b"bytes"
    finally:
        fsspec.filesystem("memory").rm(root, recursive=True)


def test_saver_from_url(tmp_path: Path) -> None:
    plain = saver_from_url(str(tmp_path / "ops"))
    assert isinstance(plain, FileSaver)
    assert plain.path == tmp_path / "ops"
    as_path = saver_from_url(tmp_path / "ops")
    assert isinstance(as_path, FileSaver)
    file_url = saver_from_url((tmp_path / "with space" / "ops").as_uri())
    assert isinstance(file_url, FileSaver)
    assert file_url.path == tmp_path / "with space" / "ops"
    assert isinstance(saver_from_url("memory://chariots-tests/x"), FsspecSaver)
