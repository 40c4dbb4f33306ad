"""The original chariots iris tutorial, end to end through the pipelines server.

Train a PCA and a classifier through the server, save, load them into the prediction pipeline,
predict; on SQLite and PostgreSQL, through the in-process test client and through
``PipelinesClient`` against a server on a real port.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from _iris_ops import PCAOp, iris_pipelines, iris_sample, pred_pipeline, train_pca_pipeline
from werkzeug.serving import make_server

from chariots_core.errors import VersionError
from chariots_core.op_store import BaseOpStoreClient, OpStore
from chariots_core.op_store.savers import FileSaver
from chariots_core.pipelines import PipelinesClient, PipelinesServer
from chariots_core.pipelines._client import BasePipelinesClient
from chariots_core.testing import TestOpStoreClient, TestPipelinesClient
from chariots_core.versioning import VersionedField, VersionedFieldDict, VersionType


@pytest.fixture(params=["sqlite", "postgresql", "test_op_store_client"])
def op_store_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseOpStoreClient]:
    client: BaseOpStoreClient
    if request.param == "sqlite":
        client = OpStore(path=tmp_path / "store")
    elif request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        client = OpStore(url, FileSaver(tmp_path / "ops"))
    else:
        client = TestOpStoreClient(tmp_path / "store")
    yield client
    client.close()


@pytest.fixture(params=["test_client", "http"])
def connect(request: pytest.FixtureRequest) -> Iterator[object]:
    """A function giving a pipelines client of an app, in-process or over a real port."""
    servers = []

    def _connect(app: PipelinesServer) -> BasePipelinesClient:
        if request.param == "test_client":
            return TestPipelinesClient(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
        thread.start()
        servers.append((server, thread))
        return PipelinesClient(f"http://127.0.0.1:{server.server_port}")

    yield _connect
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_iris_tutorial(op_store_client: BaseOpStoreClient, connect: object) -> None:
    train_pca, train_logistic, pred = iris_pipelines()
    app = PipelinesServer(
        [train_pca, train_logistic, pred], op_store_client=op_store_client, import_name="iris_app"
    )
    client = connect(app)  # type: ignore[operator]
    assert sorted(client.available_pipelines()) == ["pred", "train_logistic", "train_pca"]

    client.call_pipeline(train_pca)
    client.save_pipeline(train_pca)
    client.load_pipeline(train_logistic)
    client.call_pipeline(train_logistic)
    client.save_pipeline(train_logistic)
    client.load_pipeline(pred)
    assert client.is_pipeline_loaded(pred)

    rows, classes = iris_sample()
    response = client.call_pipeline(pred, rows)
    assert response.value == classes
    trained = client.pipeline_versions(train_logistic)
    assert response.versions["logisticop"] == trained["logisticop"]
    assert response.versions["pcaop"] == trained["pcaop"]

    # a second server on the same op store (a restart) serves the same models
    restarted = PipelinesServer(
        iris_pipelines(), op_store_client=op_store_client, import_name="iris_app"
    )
    client_after_restart = connect(restarted)  # type: ignore[operator]
    assert not client_after_restart.is_pipeline_loaded("pred")
    client_after_restart.load_pipeline("pred")
    assert client_after_restart.call_pipeline("pred", rows).value == classes


def test_retraining_the_pca_makes_the_classifier_incompatible(
    op_store_client: BaseOpStoreClient, connect: object
) -> None:
    app = PipelinesServer(iris_pipelines(), op_store_client=op_store_client, import_name="iris")
    client = connect(app)  # type: ignore[operator]
    for name in ("train_pca", "train_logistic"):
        client.load_pipeline(name)
        client.call_pipeline(name)
        client.save_pipeline(name)
    client.load_pipeline("pred")
    before = client.pipeline_versions("pred")

    client.call_pipeline("train_pca")  # a PCA fit is a MAJOR change
    client.save_pipeline("train_pca")
    with pytest.raises(VersionError, match="logisticop"):
        client.load_pipeline("pred")
    # the failed load left the served pipeline as it was
    assert client.pipeline_versions("pred") == before
    rows, classes = iris_sample()
    assert client.call_pipeline("pred", rows).value == classes

    client.load_pipeline("train_logistic")
    client.call_pipeline("train_logistic")
    client.save_pipeline("train_logistic")
    client.load_pipeline("pred")
    assert client.pipeline_versions("pred")["pcaop"] != before["pcaop"]
    assert client.call_pipeline("pred", rows).value == classes


def test_a_major_field_change_of_the_op_class_is_refused_at_load(
    op_store_client: BaseOpStoreClient, connect: object
) -> None:
    app = PipelinesServer([train_pca_pipeline()], op_store_client=op_store_client, import_name="a")
    client = connect(app)  # type: ignore[operator]
    client.call_pipeline("train_pca")
    client.save_pipeline("train_pca")

    class ThreeComponentsPCA(PCAOp):  # the same op, its n_components (a MAJOR field) changed
        op_name = "pcaop"
        model_parameters = VersionedFieldDict(VersionType.MAJOR, {"n_components": 3})

    class RenamedFieldPCA(PCAOp):  # a MINOR field added: the saved model still loads
        op_name = "pcaop"
        comment = VersionedField("tuned", VersionType.MINOR)

    changed = PipelinesServer(
        [pred_pipeline(pca_op_class=ThreeComponentsPCA)],
        op_store_client=op_store_client,
        import_name="b",
    )
    with pytest.raises(VersionError, match="pcaop"):
        connect(changed).load_pipeline("pred")  # type: ignore[operator]

    minor = PipelinesServer(
        [pred_pipeline(pca_op_class=RenamedFieldPCA)],
        op_store_client=op_store_client,
        import_name="c",
    )
    minor_client = connect(minor)  # type: ignore[operator]
    minor_client.load_pipeline("pred")  # no LogisticOp saved yet: nothing else to check
    assert minor_client.is_pipeline_loaded("pred")
