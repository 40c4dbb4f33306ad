"""The op store's API called as the original chariots' users called it: ops for op names,
``register_valid_link(downstream, upstream, upstream_op_version)``, ``get_validated_links(
downstream, upstream)``, ``save_op_bytes(op, version, op_bytes)``,
``register_new_pipeline(pipeline)``; and the public ways to what their tests reached (the
database path, the saver, an op's record). In-process and over HTTP alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from chariots_core.errors import BadRequest
from chariots_core.op_store import BaseOpStoreClient, OpStore
from chariots_core.op_store.models import DBOp, DBPipeline
from chariots_core.op_store.savers import FileSaver
from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestOpStoreClient
from chariots_core.versioning import Version, VersionedField, VersionType


class Named:
    """An object that stands for an op by its name (the original's tests used such fakes)."""

    def __init__(self, name: str) -> None:
        self.name = name


class Sourdough(BaseOp):
    """An op whose class has a version of its own."""

    hydration = VersionedField(70, VersionType.MAJOR)

    def execute(self) -> str:
        return "bread"


@pytest.fixture(params=["in-process", "http"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseOpStoreClient]:
    client: BaseOpStoreClient = (
        OpStore(path=tmp_path) if request.param == "in-process" else TestOpStoreClient(tmp_path)
    )
    yield client
    client.close()


def _versions(n: int) -> list[Version]:
    versions = [Version()]
    for _ in range(n - 1):
        versions.append(versions[-1] + Version())
    return versions


def test_a_link_given_no_downstream_version_holds_for_every_downstream_version(
    store: BaseOpStoreClient,
) -> None:
    first, second, third = _versions(3)
    store.register_valid_link("downstream", "upstream", upstream_op_version=first)
    store.register_valid_link("downstream", "upstream", third)  # positional, as the original
    store.register_valid_link("other", "upstream", upstream_op_version=second)

    assert store.get_validated_links("downstream", "upstream") == {first, third}
    some_downstream_version = Version().update_major(b"any")
    assert store.get_validated_links("downstream", some_downstream_version, "upstream") == {
        first,
        third,
    }


def test_the_original_form_reads_links_of_every_downstream_version(
    store: BaseOpStoreClient,
) -> None:
    old, new, upstream = _versions(3)
    store.register_valid_link("downstream", old, "upstream", upstream)
    store.register_valid_link("downstream", new, "upstream", upstream + Version())

    assert store.get_validated_links("downstream", old, "upstream") == {upstream}
    assert len(store.get_validated_links("downstream", "upstream")) == 2
    assert store.get_validated_links("nobody", "upstream") == set()


def test_no_downstream_op_registers_the_upstream_op_alone(tmp_path: Path) -> None:
    client = TestOpStoreClient(tmp_path)
    client.register_valid_link(None, upstream_op_name="upstream", upstream_op_version=Version())
    with Session(create_engine(f"sqlite:///{client.db_path}")) as session:
        assert session.scalars(select(DBOp.name)).all() == ["upstream"]
    assert client.get_validated_links("upstream", "upstream") == set()
    client.close()


def test_a_link_needs_its_upstream_version_in_one_form_or_the_other(
    store: BaseOpStoreClient,
) -> None:
    with pytest.raises(BadRequest, match="register_valid_link takes"):
        store.register_valid_link("downstream", "upstream")
    with pytest.raises(BadRequest, match="register_valid_link takes"):
        store.register_valid_link("downstream", Version(), "upstream")
    with pytest.raises(BadRequest, match="upstream op"):
        store.get_validated_links("downstream", Version())


def test_ops_are_taken_for_their_names_and_a_save_needs_no_class_version(
    store: BaseOpStoreClient,
) -> None:
    version = Version().update_major(b"trained")
    store.save_op_bytes(Named("the_one_op"), version, b"one ring")
    assert store.get_op_bytes_for_version(Named("the_one_op"), version) == b"one ring"
    (saved,) = store.get_all_versions_of_op(Named("the_one_op"))
    assert saved.class_version == version  # an object with no class version: its version

    op = Sourdough()
    store.save_op_bytes(op, version, b"loaf")
    (saved,) = store.get_all_versions_of_op(op)
    assert saved.class_version == Sourdough.__version__
    with pytest.raises(BadRequest, match="an op or an op's name"):
        store.get_all_versions_of_op(42)


def test_a_pipeline_is_registered_from_itself(store: BaseOpStoreClient) -> None:
    pipeline = Pipeline([Node(Sourdough(), output_nodes="__pipeline_output__")], "bakery")
    assert not store.pipeline_exists("bakery")
    store.register_new_pipeline(pipeline)
    assert store.pipeline_exists("bakery")
    with pytest.raises(BadRequest, match="op names"):
        store.register_new_pipeline("bakery")


def test_the_test_client_tells_its_database_path_and_saver(tmp_path: Path) -> None:
    client = TestOpStoreClient(str(tmp_path))
    client.server.db.create_all()
    client.register_new_pipeline("bakery", ["sourdough"])
    assert client.db_path == str(tmp_path / "chariots.db")
    with Session(create_engine(f"sqlite:///{client.db_path}")) as session:
        assert session.scalars(select(DBPipeline.name)).all() == ["bakery"]
    assert isinstance(client.saver, FileSaver)
    assert client.saver is client.server.saver
    assert client.saver.path == tmp_path / "ops"
    client.close()

    saver = FileSaver(tmp_path / "elsewhere")
    with_saver = TestOpStoreClient(tmp_path / "other", saver=saver)
    assert with_saver.saver is saver
    assert with_saver.server.saver is saver
    with_saver.close()


def test_the_server_gets_or_registers_an_op_record(tmp_path: Path) -> None:
    client = TestOpStoreClient(tmp_path)
    record = client.server.get_or_register_db_op("the_one_op")
    again = client.server.get_or_register_db_op(Named("the_one_op"))
    assert (record.id, record.name) == (again.id, "the_one_op")
    assert client.server.get_or_register_db_op("other").id != record.id
    client.close()
