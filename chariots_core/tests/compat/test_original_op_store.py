"""The op store built as the original chariots built it: its server, test client, savers and
models."""

from __future__ import annotations

import pickle
import sys
import types
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from chariots_core.errors import BackendError
from chariots_core.op_store import OpStore, OpStoreServer, models
from chariots_core.op_store._models import (
    OpRecord,
    OpVersionRecord,
    PipelineOpRecord,
    PipelineRecord,
    ValidatedLinkRecord,
)
from chariots_core.op_store.savers import FileSaver, FsspecSaver, GoogleStorageSaver
from chariots_core.testing import TestOpStoreClient
from chariots_core.versioning import Version


def test_op_store_server_from_a_saver_and_a_db_url(tmp_path: Path) -> None:
    saver = FileSaver(tmp_path / "ops")
    server = OpStoreServer(saver, f"sqlite:///{tmp_path / 'store.db'}")
    assert server.flask is server
    assert server.op_store.saver is saver
    server.db.create_all()
    assert (tmp_path / "store.db").exists()
    by_keyword = OpStoreServer(saver=saver, db_url=f"sqlite:///{tmp_path / 'other.db'}")
    assert by_keyword.op_store.saver is saver


def test_op_store_server_from_a_saver_alone_keeps_its_records_in_memory(tmp_path: Path) -> None:
    server = OpStoreServer(FileSaver(tmp_path / "ops"))
    store = server.op_store
    version = Version().update_major(b"trained")
    store.save_op_bytes("op", version, b"bytes", class_version=Version(), training_version=None)
    assert store.get_op_bytes_for_version("op", version) == b"bytes"
    assert server.db.url.database == ":memory:"


def test_op_store_server_refuses_what_does_not_fit(tmp_path: Path) -> None:
    saver = FileSaver(tmp_path / "ops")
    store = OpStore(path=tmp_path)
    with pytest.raises(TypeError, match="not both"):
        OpStoreServer(store, saver=saver)
    with pytest.raises(TypeError, match="no db_url"):
        OpStoreServer(store, "sqlite://")
    with pytest.raises(TypeError, match="OpStore, or a saver"):
        OpStoreServer("sqlite://")  # type: ignore[arg-type]


def test_test_op_store_client_takes_a_saver(tmp_path: Path) -> None:
    saver = FileSaver(tmp_path / "elsewhere")
    client = TestOpStoreClient(str(tmp_path / "app"), saver=saver)
    client.server.db.create_all()
    version = Version().update_major(b"trained")
    client.save_op_bytes("op", version, b"bytes", class_version=Version(), training_version=None)
    assert client.get_op_bytes_for_version("op", version) == b"bytes"
    assert [path.name for path in (tmp_path / "elsewhere" / "op").iterdir()] == [
        f"{version.major}_{version.minor}_{version.patch}"
    ]
    assert (tmp_path / "app" / "chariots.db").exists()
    client.close()


def test_the_models_under_their_original_names() -> None:
    assert models.DBOp is OpRecord
    assert models.DBVersion is OpVersionRecord
    assert models.DBValidatedLink is ValidatedLinkRecord
    assert models.DBPipeline is PipelineRecord
    assert models.DBPipelineLink is PipelineOpRecord
    assert set(models.db.metadata.tables) >= {
        "chariots_ops",
        "chariots_op_versions",
        "chariots_validated_links",
        "chariots_pipelines",
        "chariots_pipeline_ops",
    }
    database = models.SQLAlchemy("sqlite://")
    database.create_all()
    database.dispose()


# -- Google Cloud Storage -------------------------------------------------------------------------


def test_google_storage_saver_builds_its_gcs_url_and_nothing_else() -> None:
    saver = GoogleStorageSaver("/models/app/", "my-bucket", client_kwargs={"project": "p"})
    assert saver.url == "gcs://my-bucket/models/app"
    assert (saver.root_path, saver.bucket_name, saver.client_kwargs) == (
        "/models/app/",
        "my-bucket",
        {"project": "p"},
    )
    assert saver._resolved is None  # no filesystem made (no gcsfs, no network) until used
    assert GoogleStorageSaver("", "my-bucket").url == "gcs://my-bucket"
    assert isinstance(saver, FsspecSaver)
    with pytest.raises(ValueError, match="bucket"):
        GoogleStorageSaver("models", "bucket/with/path")


def test_google_storage_saver_without_gcsfs_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "gcsfs", None)
    saver = GoogleStorageSaver("models", "my-bucket")
    with pytest.raises(BackendError, match=r"chariots-core\[gcs\]"):
        saver.save("op/version", b"bytes")


class _FakeGCS(MemoryFileSystem):
    """fsspec's memory filesystem under the gcs:// protocol (gcsfs's stand-in: no network)."""

    protocol = "gcs"
    store: dict[str, object] = {}
    pseudo_dirs = [""]
    seen_options: list[dict[str, object]] = []

    def __init__(self, *args: object, **storage_options: object) -> None:
        _FakeGCS.seen_options.append(dict(storage_options))
        super().__init__(*args, **storage_options)

    @classmethod
    def _strip_protocol(cls, path: str) -> str:  # type: ignore[override]
        return "/" + str(path).removeprefix("gcs://").strip("/")


@pytest.fixture
def fake_gcs(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_FakeGCS]]:
    monkeypatch.setitem(sys.modules, "gcsfs", types.ModuleType("gcsfs"))
    registry = sys.modules["fsspec.registry"]._registry  # type: ignore[attr-defined]
    monkeypatch.setitem(registry, "gcs", _FakeGCS)
    _FakeGCS.store.clear()
    _FakeGCS.seen_options.clear()
    yield _FakeGCS
    _FakeGCS.store.clear()
    fsspec.AbstractFileSystem.clear_instance_cache()


def test_google_storage_saver_keeps_bytes_under_bucket_and_root(
    fake_gcs: type[_FakeGCS],
) -> None:
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    saver = GoogleStorageSaver("models/app", bucket, client_kwargs={"project": "my-project"})
    saver.save("op/version", b"bytes")
    assert saver.load("op/version") == b"bytes"
    assert f"/{bucket}/models/app/op/version" in fake_gcs.store
    assert {"project": "my-project"} in fake_gcs.seen_options
    # pickled to a worker, it makes its filesystem anew there
    copy = pickle.loads(pickle.dumps(saver))
    assert copy._resolved is None
    assert copy.load("op/version") == b"bytes"
