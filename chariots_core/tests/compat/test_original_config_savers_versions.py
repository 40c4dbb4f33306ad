"""The original chariots' configuration values, saver calls and version lookups: a wrong
``worker_type`` is a ``ValueError``, ``FileSaver.root_path`` is what it was given, ``save``
takes the original's ``(bytes, "/path")``, ``get_pipeline_versions()[node]``; and the public
ways to what the original's tests read privately (the pool's Redis client, the server's saver,
the server's pool). A MAJOR change loads as the upgrade page says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chariots_core.config import ChariotsConfig, OpStoreConfig, PipelinesConfig, WorkersConfig
from chariots_core.errors import BadRequest, VersionError
from chariots_core.op_store import OpStore
from chariots_core.op_store.savers import FileSaver
from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp, LoadableOp
from chariots_core.pipelines.runners import SequentialRunner
from chariots_core.versioning import VersionedField, VersionsByName, VersionType
from chariots_core.workers import BackendNotInstalled


def test_a_worker_type_no_backend_has_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nosuchbackend") as raised:
        WorkersConfig(worker_type="nosuchbackend")
    assert isinstance(raised.value, BackendNotInstalled)
    assert isinstance(raised.value, ImportError)  # as BackendError always was


def test_file_saver_root_path_is_what_it_was_given(tmp_path: Path) -> None:
    given = str(tmp_path / "ops")
    saver = FileSaver(given)
    assert saver.root_path == given
    assert saver.path == tmp_path / "ops"
    assert OpStoreConfig(saver_type="file-saver", saver_kwargs={"root_path": given}).get_saver(
    ).root_path == given  # fmt: skip
    assert FileSaver("~/ops").path == Path.home() / "ops"


def test_a_saver_takes_the_original_order_and_paths_from_its_root(tmp_path: Path) -> None:
    saver = FileSaver(tmp_path)
    saver.save(b"original", "/foo/bar.bin")  # type: ignore[arg-type]
    assert (tmp_path / "foo" / "bar.bin").read_bytes() == b"original"
    assert saver.load("foo/bar.bin") == saver.load("/foo/bar.bin") == b"original"
    saver.save("foo/bar.bin", b"ours")
    assert saver.load("foo/bar.bin") == b"ours"
    with pytest.raises(BadRequest, match="string key"):
        saver.save(b"bytes", b"bytes")  # type: ignore[arg-type]
    with pytest.raises(BadRequest, match="saver key"):
        saver.save("/../escape", b"no")


def test_what_the_original_tests_read_privately_has_a_public_name(tmp_path: Path) -> None:
    pytest.importorskip("chariots_rq")
    config = ChariotsConfig(
        pipelines_config=PipelinesConfig(
            runner="sequential-runner", server_host="localhost", server_port=80, import_name="x"
        ),
        pipelines_worker_config=WorkersConfig(
            use_for_all=True,
            worker_type="rq",
            worker_pool_kwargs={"redis_kwargs": {"host": "localhost", "port": 8080}},
        ),
        op_store_config=OpStoreConfig(
            server_host="localhost",
            server_port=5000,
            saver_type="file-saver",
            saver_kwargs={"root_path": str(tmp_path / "ops")},
        ),
    )
    pool: Any = config.get_pipelines_worker_pool()
    assert pool.redis.connection_pool.connection_kwargs["port"] == 8080  # the original's _redis
    server = config.get_op_store_server()
    assert isinstance(server.saver, FileSaver)  # the original's _saver
    assert server.saver.root_path == str(tmp_path / "ops")
    app = config.get_pipelines_server()
    assert app.worker_pool.redis.connection_pool.connection_kwargs["port"] == 8080  # type: ignore[attr-defined]
    pool.close()


class Range(BaseOp):
    def execute(self) -> list[int]:
        return list(range(10))


def counter_class(step: int, allow_version_change: bool = False) -> type[LoadableOp]:
    class CounterModulo(LoadableOp):
        step_size = VersionedField(step, VersionType.MAJOR)

        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def execute(self, numbers: list[int]) -> list[bool]:
            self.count += self.step_size
            return [not number % self.count for number in numbers]

        def serialize(self) -> bytes:
            return str(self.count).encode()

        def load(self, serialized_object: bytes) -> None:
            self.count = int(serialized_object)

    CounterModulo.allow_version_change = allow_version_change
    return CounterModulo


def counter_pipeline(op: LoadableOp) -> tuple[Pipeline, Node]:
    range_node = Node(Range(), output_nodes="numbers")
    op_node = Node(op, input_nodes=[range_node], output_nodes="__pipeline_output__")
    return Pipeline([range_node, op_node], name="counting"), op_node


def test_pipeline_versions_answer_for_a_node_too() -> None:
    pipeline, node = counter_pipeline(counter_class(1)())
    other, other_node = counter_pipeline(counter_class(2)())
    versions, other_versions = pipeline.get_pipeline_versions(), other.get_pipeline_versions()
    assert isinstance(versions, VersionsByName)
    assert versions[node] == versions["countermodulo"] == versions.get(node)
    assert node in versions
    assert "countermodulo" in versions
    assert "absent" not in versions
    assert set(versions) == {"range", "countermodulo"}
    assert versions == dict(versions)
    assert other_versions[other_node].major != versions[node].major
    assert other_versions[other_node].minor == versions[node].minor


def test_a_major_change_refuses_old_saves_unless_the_op_allows_a_version_change(
    tmp_path: Path,
) -> None:
    store = OpStore(path=tmp_path)
    runner = SequentialRunner()
    pipeline, _ = counter_pipeline(counter_class(1)())
    runner.run(pipeline)
    runner.run(pipeline)
    pipeline.save(store)

    with pytest.raises(VersionError, match="another major version"):
        counter_pipeline(counter_class(2)())[0].load(store)

    # what the original did for every op: the new code starts afresh
    fresh, _ = counter_pipeline(counter_class(2, allow_version_change=True)())
    fresh.load(store)
    assert runner.run(fresh) == [not number % 2 for number in range(10)]
    assert runner.run(fresh) == [not number % 4 for number in range(10)]
    store.close()
