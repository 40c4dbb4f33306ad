"""`chariots_core.config`: an app's configuration read from YAML, the worker backend by string."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from _loopback_server import serving

from chariots_core.config import ChariotsConfig, OpStoreConfig, PipelinesConfig, WorkersConfig
from chariots_core.errors import BackendError
from chariots_core.jobs import JobStatus
from chariots_core.op_store import OpStoreClient, OpStoreServer
from chariots_core.op_store.savers import FileSaver, FsspecSaver, GoogleStorageSaver
from chariots_core.pipelines import Pipeline, PipelinesClient
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.pipelines.runners import SequentialRunner
from chariots_core.testing import TestPipelinesClient
from chariots_core.workers import BackendNotInstalled, BaseWorkerPool, exported_pool_class


class AddOne(BaseOp):
    def execute(self, number: int) -> int:
        return number + 1


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "config.yaml",
        f"""
        op_store:
          op_store_db_url: sqlite:///{tmp_path / "chariots.db"}
          saver_type: file-saver
          saver_kwargs:
            root_path: {tmp_path / "ops"}
          server_host: localhost
          server_port: 5001
        pipelines:
          import_name: configured_app
          runner: sequential-runner
          server_host: localhost
          server_port: 5000
        pipelines_workers:
          use_for_all: true
          worker_type: embedded
          worker_pool_kwargs:
            autostart: 1
        """,
    )


def test_a_config_file_is_read_as_the_original_read_it(config_file: Path, tmp_path: Path) -> None:
    config = ChariotsConfig(config_file)
    assert isinstance(config.pipelines_config.get_runner(), SequentialRunner)
    assert config.pipelines_config.import_name == "configured_app"
    assert config.pipelines_workers_config.use_for_all is True
    assert config.pipelines_workers_config.worker_type == "embedded"
    saver = config.op_store_config.get_saver()
    assert isinstance(saver, FileSaver)
    assert saver.path == tmp_path / "ops"
    client = config.get_pipelines_client()
    assert isinstance(client, PipelinesClient)
    assert client.backend_url == "http://localhost:5000"
    op_store_client = config.get_op_store_client()
    assert isinstance(op_store_client, OpStoreClient)
    assert op_store_client.url == "http://localhost:5001"
    assert isinstance(config.get_op_store_server(), OpStoreServer)


def test_a_server_from_a_config_file_runs_its_calls_on_the_backend_it_names(
    config_file: Path,
) -> None:
    config = ChariotsConfig(config_file)
    config.pipelines_config.pipelines.append(
        Pipeline([Node(AddOne(), ["__pipeline_input__"], "__pipeline_output__")], "add_one")
    )
    with serving(config.get_op_store_server()) as url:
        config.op_store_config.server_host, _, port = url.rpartition(":")
        config.op_store_config.server_port = int(port)
        app = config.get_pipelines_server()
        try:
            assert app.worker_pool.backend == "embedded"
            client = TestPipelinesClient(app)
            response = client.call_pipeline("add_one", 1)
            assert response.job_status is JobStatus.queued  # use_for_all: in a worker
            done = client.wait_for_job(response.job_id, timeout=60)
            assert (done.job_status, done.value) == (JobStatus.done, 2)
        finally:
            app.worker_pool.stop_workers()
            app.worker_pool.close()


@pytest.mark.parametrize(
    ("worker_type", "backend"),
    [
        ("embedded", "embedded"),
        ("RQ", "rq"),  # the original's spelling
        ("rq://127.0.0.1:6379/0", "rq"),
        ("embedded:///{tmp}/queue.db?queue=configured", "embedded"),
        ("chariots_core.workers:EmbeddedWorkerPool", "embedded"),
    ],
)
def test_worker_type_takes_any_installed_backend_by_name_url_or_path(
    tmp_path: Path, worker_type: str, backend: str
) -> None:
    config = WorkersConfig(worker_type=worker_type.format(tmp=tmp_path))
    pool = config.get_worker_pool()
    try:
        assert isinstance(pool, BaseWorkerPool)
        assert isinstance(pool, exported_pool_class(type(pool).__name__))
        assert pool.backend == backend
    finally:
        pool.close()


def test_an_uninstalled_backend_is_refused_at_once_with_the_installed_ones() -> None:
    with pytest.raises(BackendNotInstalled, match="embedded"):
        WorkersConfig(worker_type="nosuchbackend")
    with pytest.raises(BackendNotInstalled):
        WorkersConfig(worker_type="nosuchbackend://host/0")


def test_no_worker_type_is_the_default_pool_and_kwargs_need_a_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHARIOTS_WORKER_POOL", raising=False)
    config = WorkersConfig()
    assert config.worker_pool_spec is None
    pool = config.get_worker_pool()
    assert pool.backend == "embedded"
    pool.close()
    with pytest.raises(ValueError, match="worker_pool_kwargs"):
        WorkersConfig(worker_type="rq://localhost:6379/0", worker_pool_kwargs={"queue": "x"})


def test_a_config_built_in_python_as_in_the_original(tmp_path: Path) -> None:
    config = ChariotsConfig(
        pipelines_config=PipelinesConfig(runner="sequential-runner"),
        pipelines_worker_config=WorkersConfig(worker_type="embedded"),
        op_store_config=OpStoreConfig(
            saver_type="fsspec-saver", saver_kwargs={"url": (tmp_path / "ops").as_uri()}
        ),
    )
    config.pipelines_config.pipelines.append(None)  # type: ignore[arg-type]
    assert isinstance(config.op_store_config.get_saver(), FsspecSaver)
    assert config.op_store_config.op_store_db_url == "sqlite:///:memory:"
    google = OpStoreConfig(
        saver_type="google-storage-saver",
        saver_kwargs={"root_path": "models", "bucket_name": "bucket"},
    ).get_saver()
    assert isinstance(google, GoogleStorageSaver)
    assert google.url == "gcs://bucket/models"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PipelinesConfig(runner="parallel"), "runner 'parallel' not understood"),
        (lambda: PipelinesConfig(runner=3), "cannot interpret int"),
        (lambda: OpStoreConfig(saver_type="s3"), "saver type 's3' not understood"),
        (lambda: OpStoreConfig(saver_type="file-saver").get_client(), "no server_host"),
        (lambda: ChariotsConfig().op_store_config, "no op_store section"),
    ],
)
def test_what_a_config_cannot_use_is_refused_clearly(build: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        build()  # type: ignore[operator]


def test_a_config_file_with_unknown_sections_or_shapes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown sections \['pipeline'\]"):
        ChariotsConfig(_write(tmp_path / "a.yaml", "pipeline:\n  runner: sequential-runner\n"))
    with pytest.raises(ValueError, match="'op_store' must be a mapping"):
        ChariotsConfig(_write(tmp_path / "b.yaml", "op_store: file-saver\n"))
    empty = ChariotsConfig(_write(tmp_path / "c.yaml", ""))
    assert empty.pipelines_workers_config.worker_type is None


def test_reading_a_file_without_pyyaml_names_the_extra(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(BackendError, match=r"chariots-core\[yaml\]"):
        ChariotsConfig(config_file)
