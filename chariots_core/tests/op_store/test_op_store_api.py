"""The op store API behaves the same in-process (SQLite, PostgreSQL) and over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chariots_core.errors import BadRequest, OpNotFound
from chariots_core.op_store import BaseOpStoreClient, OpStore
from chariots_core.versioning import Version

BAD_OP_NAMES = [
    "",
    "a/b",
    "..",
    "../escape",
    "a\\b",
    "nul\x00byte",
    "new\nline",
    "tab\tname",
    " padded ",
    "x" * 256,
]


def make_version(label: str, creation_time: float = 1_700_000_000.25) -> Version:
    """A version whose three hashes are derived from ``label``."""
    return (
        Version(creation_time=creation_time)
        .update_major(label.encode())
        .update_minor(label.encode())
        .update_patch(label.encode())
    )


CLASS_VERSION = make_version("class", 1_600_000_000.5)


def save(store: BaseOpStoreClient, op_name: str, version: Version, data: bytes) -> None:
    store.save_op_bytes(op_name, version, data, class_version=CLASS_VERSION, training_version=None)


def test_bytes_round_trip(op_store: BaseOpStoreClient) -> None:
    version = make_version("v1")
    payload = bytes(range(256)) * 64  # not UTF-8, not JSON: raw bytes must survive
    training_version = make_version("training", 1_700_000_100.0)
    op_store.save_op_bytes(
        "model", version, payload, class_version=CLASS_VERSION, training_version=training_version
    )

    assert op_store.get_op_bytes_for_version("model", version) == payload
    [saved] = op_store.get_all_versions_of_op("model")
    assert saved.op_name == "model"
    assert saved.version == version
    assert saved.version.creation_time == version.creation_time
    assert saved.class_version == CLASS_VERSION
    assert saved.class_version.creation_time == CLASS_VERSION.creation_time
    assert saved.training_version == training_version
    assert saved.saved_at.tzinfo is not None
    assert abs(saved.saved_at - datetime.now(timezone.utc)) < timedelta(minutes=5)


def test_empty_bytes_round_trip(op_store: BaseOpStoreClient) -> None:
    save(op_store, "empty", make_version("v"), b"")
    assert op_store.get_op_bytes_for_version("empty", make_version("v")) == b""


def test_version_is_found_by_hashes_whatever_its_creation_time(
    op_store: BaseOpStoreClient,
) -> None:
    save(op_store, "op", make_version("v", creation_time=10.0), b"bytes")
    assert op_store.get_op_bytes_for_version("op", make_version("v", creation_time=99.0)) == (
        b"bytes"
    )


def test_versions_are_listed_newest_saved_first(op_store: BaseOpStoreClient) -> None:
    labels = ["first", "second", "third"]
    for label in labels:
        save(op_store, "op", make_version(label), label.encode())
    save(op_store, "other_op", make_version("unrelated"), b"x")

    saved = op_store.get_all_versions_of_op("op")

    assert [item.version for item in saved] == [make_version(label) for label in reversed(labels)]
    assert all(item.op_name == "op" for item in saved)
    assert saved[0].saved_at >= saved[1].saved_at >= saved[2].saved_at


def test_unknown_op_has_no_versions(op_store: BaseOpStoreClient) -> None:
    assert op_store.get_all_versions_of_op("never_saved") == []


def test_latest_versions_of_several_ops(op_store: BaseOpStoreClient) -> None:
    save(op_store, "a", make_version("a1"), b"a1")
    save(op_store, "b", make_version("b1"), b"b1")
    save(op_store, "a", make_version("a2"), b"a2")
    save(op_store, "c", make_version("c1"), b"c1")

    latest = op_store.get_latest_versions(["a", "b", "unknown"])

    assert set(latest) == {"a", "b"}
    assert latest["a"].version == make_version("a2")
    assert latest["a"].op_name == "a"
    assert latest["b"].version == make_version("b1")
    assert op_store.get_latest_versions([]) == {}


def test_saving_a_version_again_replaces_its_bytes_and_keeps_one_record(
    op_store: BaseOpStoreClient,
) -> None:
    save(op_store, "op", make_version("v1"), b"old")
    save(op_store, "op", make_version("v2"), b"other")
    retrained = make_version("retrained")
    op_store.save_op_bytes(
        "op", make_version("v1"), b"new", class_version=CLASS_VERSION, training_version=retrained
    )

    saved = op_store.get_all_versions_of_op("op")

    assert [item.version for item in saved] == [make_version("v1"), make_version("v2")]
    assert saved[0].training_version == retrained
    assert op_store.get_op_bytes_for_version("op", make_version("v1")) == b"new"
    assert op_store.get_latest_versions(["op"])["op"].version == make_version("v1")


def test_unknown_op_or_version_raises_op_not_found(op_store: BaseOpStoreClient) -> None:
    save(op_store, "op", make_version("v1"), b"bytes")

    with pytest.raises(OpNotFound, match="other_op"):
        op_store.get_op_bytes_for_version("other_op", make_version("v1"))
    with pytest.raises(OpNotFound):
        op_store.get_op_bytes_for_version("op", make_version("never_saved"))


def test_validated_links_are_keyed_by_downstream_version(op_store: BaseOpStoreClient) -> None:
    downstream_1, downstream_2 = make_version("down1"), make_version("down2")
    upstream_1, upstream_2 = make_version("up1", 5.0), make_version("up2", 6.0)
    op_store.register_valid_link("model", downstream_1, "preprocessing", upstream_1)
    op_store.register_valid_link("model", downstream_1, "preprocessing", upstream_2)
    op_store.register_valid_link("model", downstream_1, "preprocessing", upstream_2)  # again: ok
    op_store.register_valid_link("model", downstream_2, "preprocessing", upstream_2)
    op_store.register_valid_link("model", downstream_1, "other_upstream", upstream_1)

    links = op_store.get_validated_links("model", downstream_1, "preprocessing")

    assert links == {upstream_1, upstream_2}
    assert {link.creation_time for link in links} == {5.0, 6.0}
    assert op_store.get_validated_links("model", downstream_2, "preprocessing") == {upstream_2}
    assert op_store.get_validated_links("model", make_version("none"), "preprocessing") == set()
    assert op_store.get_validated_links("unknown", downstream_1, "preprocessing") == set()


def test_pipelines_are_registered(op_store: BaseOpStoreClient, backing_op_store: OpStore) -> None:
    assert not op_store.pipeline_exists("my_pipeline")

    op_store.register_new_pipeline("my_pipeline", ["op_a", "op_b"])
    assert op_store.pipeline_exists("my_pipeline")
    assert not op_store.pipeline_exists("other_pipeline")
    assert backing_op_store.get_pipeline_op_names("my_pipeline") == ["op_a", "op_b"]

    op_store.register_new_pipeline("my_pipeline", ["op_b", "op_c", "op_c"])
    assert backing_op_store.get_pipeline_op_names("my_pipeline") == ["op_b", "op_c"]

    op_store.register_new_pipeline("empty_pipeline", [])
    assert op_store.pipeline_exists("empty_pipeline")
    assert backing_op_store.get_pipeline_op_names("empty_pipeline") == []


@pytest.mark.parametrize("bad_name", BAD_OP_NAMES)
def test_bad_op_names_are_refused(op_store: BaseOpStoreClient, bad_name: str) -> None:
    with pytest.raises(BadRequest, match="op name") as error:
        save(op_store, bad_name, make_version("v"), b"bytes")
    assert "Traceback" not in str(error.value)
    with pytest.raises(BadRequest, match="op name"):
        op_store.get_op_bytes_for_version(bad_name, make_version("v"))
    with pytest.raises(BadRequest, match="op name"):
        op_store.get_latest_versions(["fine", bad_name])
    with pytest.raises(BadRequest, match="op name"):
        op_store.register_valid_link("fine", make_version("v"), bad_name, make_version("v"))
    with pytest.raises(BadRequest, match="op name"):
        op_store.register_new_pipeline("pipeline", [bad_name])
    assert not op_store.pipeline_exists("pipeline")


def test_bad_pipeline_names_are_refused(op_store: BaseOpStoreClient) -> None:
    with pytest.raises(BadRequest, match="pipeline name"):
        op_store.register_new_pipeline("", ["op"])
    with pytest.raises(BadRequest, match="pipeline name"):
        op_store.pipeline_exists("bad\x00name")


def test_unusual_but_valid_op_names_work(op_store: BaseOpStoreClient) -> None:
    for name in ["sklearn.LogisticRegression", "op with spaces", "modèle-ünïcode", "a.b:c"]:
        save(op_store, name, make_version(name), name.encode())
        assert op_store.get_op_bytes_for_version(name, make_version(name)) == name.encode()
        assert op_store.get_latest_versions([name])[name].op_name == name
