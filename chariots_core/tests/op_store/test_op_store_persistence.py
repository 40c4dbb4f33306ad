"""What an op store saved is there for the next store on the same database and saver."""

from __future__ import annotations

from pathlib import Path

import pytest

from chariots_core.database import Database
from chariots_core.op_store import OpStore
from chariots_core.op_store.savers import FileSaver, FsspecSaver
from chariots_core.versioning import Version

V1 = Version(creation_time=100.0).update_major(b"v1")
V2 = Version(creation_time=200.0).update_major(b"v2")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_new_store_sees_what_an_old_one_saved(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    def open_store() -> OpStore:
        if kind == "sqlite":
            return OpStore(path=tmp_path / "app")
        return OpStore(request.getfixturevalue("postgres_url"), FileSaver(tmp_path / "ops"))

    first = open_store()
    first.save_op_bytes("op", V1, b"one", class_version=V1, training_version=None)
    first.save_op_bytes("op", V2, b"two", class_version=V1, training_version=V1)
    first.register_valid_link("op", V2, "upstream", V1)
    first.register_new_pipeline("pipeline", ["op", "upstream"])
    first.close()

    second = open_store()
    assert [saved.version for saved in second.get_all_versions_of_op("op")] == [V2, V1]
    assert second.get_latest_versions(["op"])["op"].training_version == V1
    assert second.get_op_bytes_for_version("op", V1) == b"one"
    assert second.get_validated_links("op", V2, "upstream") == {V1}
    assert second.pipeline_exists("pipeline")
    second.close()


def test_store_needs_a_path_or_a_database_and_a_saver(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="path"):
        OpStore()
    with pytest.raises(TypeError, match="saver"):
        OpStore(f"sqlite:///{tmp_path / 'x.db'}")


def test_store_takes_a_saver_url_and_a_shared_database(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'shared.db'}")
    store = OpStore(database, (tmp_path / "ops").as_uri())
    assert isinstance(store.saver, FileSaver)
    assert store.db is database
    store.save_op_bytes("op", V1, b"one", class_version=V1, training_version=None)
    store.close()  # the database belongs to its creator: still usable
    assert OpStore(database, FsspecSaver((tmp_path / "ops").as_uri())).get_op_bytes_for_version(
        "op", V1
    ) == (b"one")
    database.dispose()


def test_path_and_explicit_parts_combine(tmp_path: Path) -> None:
    store = OpStore(saver=FileSaver(tmp_path / "elsewhere"), path=tmp_path / "app")
    store.save_op_bytes("op", V1, b"one", class_version=V1, training_version=None)
    assert (tmp_path / "app" / "chariots.db").is_file()
    assert (tmp_path / "elsewhere" / "op").is_dir()
    assert not (tmp_path / "app" / "ops").exists()
    store.close()


SAVE_SCRIPT = """
import sys
from chariots_core.op_store import OpStore
from chariots_core.versioning import Version

store = OpStore(path=sys.argv[1])
store.pipeline_exists("warm-up")  # schema made, connections open: then wait for the others
print("ready", flush=True)
sys.stdin.readline()
for index in range(20):
    version = Version().update_major(f"{sys.argv[2]}-{index}".encode())
    store.save_op_bytes("shared_op", version, b"x", class_version=version, training_version=None)
    store.register_valid_link("shared_op", version, "upstream", version)
    store.register_new_pipeline("shared_pipeline", ["shared_op", "upstream", sys.argv[2]])
store.close()
"""


def test_processes_writing_to_one_sqlite_file_at_once(
    tmp_path: Path, processes_together: object
) -> None:
    """Writers on one SQLite file wait for each other (BEGIN IMMEDIATE + busy timeout)."""
    processes_together.run(  # type: ignore[attr-defined]
        SAVE_SCRIPT, [[str(tmp_path), "first"], [str(tmp_path), "second"]]
    )
    store = OpStore(path=tmp_path)
    assert len(store.get_all_versions_of_op("shared_op")) == 40
    assert store.pipeline_exists("shared_pipeline")
    store.close()
