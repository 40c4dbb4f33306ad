"""The iris tutorial on the pipeline model: train, save, load, predict, retrain, version errors."""

from __future__ import annotations

import numpy as np
import pytest
from _iris_ops import (
    LogisticOp,
    PCAOp,
    iris_pipelines,
    iris_sample,
    pred_pipeline,
    train_logistic_pipeline,
    train_pca_pipeline,
)
from sklearn.datasets import load_iris
from sklearn.decomposition import TruncatedSVD

from chariots_core.errors import VersionError
from chariots_core.op_store import OpStore
from chariots_core.pipelines.runners import SequentialRunner
from chariots_core.testing import TestOpStoreClient
from chariots_core.versioning import VersionedField, VersionedFieldDict, VersionType


@pytest.fixture(params=["op_store", "test_op_store_client"])
def store(request, tmp_path):
    """The op store in-process, and the same through its HTTP API (Flask test client)."""
    client = (
        OpStore(path=tmp_path / "store")
        if request.param == "op_store"
        else TestOpStoreClient(tmp_path / "store")
    )
    yield client
    client.close()


def run(pipeline, pipeline_input=None):
    return SequentialRunner().run(pipeline, pipeline_input)


def train(pipeline, store):
    pipeline.load(store)
    run(pipeline)
    pipeline.save(store)
    return pipeline


def _state(pipeline):
    return [
        (node, node.op, node.node_version.hashes, node.saved_version) for node in pipeline.nodes
    ]


def test_the_three_pipelines():
    train_pca, train_logistic, pred = iris_pipelines()
    assert [pipeline.name for pipeline in (train_pca, train_logistic, pred)] == [
        "train_pca",
        "train_logistic",
        "pred",
    ]
    assert pred.takes_input
    assert pred.gives_output
    assert not train_pca.takes_input
    assert [node.name for node in train_logistic.nodes] == [
        "irisfulldataset",
        "pcaop",
        "logisticop",
    ]


def test_train_save_load_predict(store):
    train_pca = train(train_pca_pipeline(), store)
    train_logistic = train(train_logistic_pipeline(), store)
    pred = pred_pipeline()
    pred.load(store)

    rows, classes = iris_sample()
    assert run(pred, rows) == classes
    iris = load_iris()
    accuracy = np.mean(np.asarray(run(pred, iris.data.tolist())) == iris.target)
    assert accuracy > 0.9

    # pred holds what was trained: the PCA of train_pca, the logistic of train_logistic
    assert pred.node_for_name["pcaop"].node_version == train_pca.node_for_name["pcaop"].node_version
    assert (
        pred.get_pipeline_versions()["logisticop"]
        == (train_logistic.get_pipeline_versions()["logisticop"])
    )
    np.testing.assert_array_equal(
        pred.node_for_name["logisticop"].op.model.coef_,
        train_logistic.node_for_name["logisticop"].op.model.coef_,
    )


def test_a_pca_fit_changes_its_major_and_a_logistic_fit_its_patch(store):
    train_pca = train_pca_pipeline()
    run(train_pca)
    first_pca = train_pca.node_for_name["pcaop"].node_version
    run(train_pca)
    second_pca = train_pca.node_for_name["pcaop"].node_version
    assert first_pca.major != second_pca.major
    assert (first_pca.minor, first_pca.patch) == (second_pca.minor, second_pca.patch)

    train_pca.save(store)
    train_logistic = train_logistic_pipeline()
    train_logistic.load(store)
    run(train_logistic)
    first_logistic = train_logistic.node_for_name["logisticop"].node_version
    run(train_logistic)
    second_logistic = train_logistic.node_for_name["logisticop"].node_version
    assert first_logistic.hashes[:2] == second_logistic.hashes[:2]
    assert first_logistic.patch != second_logistic.patch


def test_retraining_the_pca_breaks_the_logistic_until_it_is_retrained(store):
    train_pca = train(train_pca_pipeline(), store)
    train(train_logistic_pipeline(), store)
    pred = pred_pipeline()
    pred.load(store)
    rows, classes = iris_sample()

    run(train_pca)  # a new PCA: a MAJOR change of its version
    train_pca.save(store)
    before = _state(pred)
    with pytest.raises(VersionError, match=r"'logisticop'.*'pcaop'"):
        pred.load(store)
    assert _state(pred) == before
    assert run(pred, rows) == classes  # still serving the old, consistent models

    # a fresh prediction pipeline cannot load either
    with pytest.raises(VersionError):
        pred_pipeline().load(store)

    train(train_logistic_pipeline(), store)  # retrained on the new PCA
    pred.load(store)
    assert pred.node_for_name["pcaop"].node_version == train_pca.node_for_name["pcaop"].node_version
    assert run(pred, rows) == classes


def test_retraining_the_logistic_alone_keeps_pred_loadable(store):
    train(train_pca_pipeline(), store)
    first = train(train_logistic_pipeline(), store).node_for_name["logisticop"].node_version
    second = train(train_logistic_pipeline(), store).node_for_name["logisticop"].node_version
    assert first != second
    pred = pred_pipeline()
    pred.load(store)
    assert pred.node_for_name["logisticop"].node_version == second


class ThreeComponentsPCA(PCAOp):
    """The PCA with another number of components: a MAJOR field changed."""

    op_name = "pcaop"
    model_parameters = VersionedFieldDict(VersionType.MAJOR, {"n_components": 3})


class OtherModelPCA(PCAOp):
    """The PCA op with another model class: a MAJOR field changed."""

    op_name = "pcaop"
    model_class = VersionedField(TruncatedSVD, VersionType.MAJOR)


class CommentedPCA(PCAOp):
    """The PCA with a MINOR field added: the saved models still fit."""

    op_name = "pcaop"
    comment = VersionedField("tuned", VersionType.MINOR)


class PatchedLogistic(LogisticOp):
    """The logistic with a PATCH field added."""

    op_name = "logisticop"
    note = VersionedField("patched", VersionType.PATCH)


@pytest.mark.parametrize("changed_pca", [ThreeComponentsPCA, OtherModelPCA])
def test_a_major_change_of_the_pca_class_refuses_its_old_saves(store, changed_pca):
    train(train_pca_pipeline(), store)
    train(train_logistic_pipeline(), store)
    pred = pred_pipeline(pca_op_class=changed_pca)
    before = _state(pred)
    with pytest.raises(VersionError, match="'pcaop'"):
        pred.load(store)
    assert _state(pred) == before


def test_a_major_change_of_the_pca_class_needs_a_retrain_of_both(store):
    train(train_pca_pipeline(), store)
    train(train_logistic_pipeline(), store)
    # retraining the PCA with the new class is allowed (FIT mode); then the logistic is stale
    train(train_pca_pipeline(pca_op_class=ThreeComponentsPCA), store)
    with pytest.raises(VersionError, match="'logisticop'"):
        pred_pipeline(pca_op_class=ThreeComponentsPCA).load(store)
    train(train_logistic_pipeline(pca_op_class=ThreeComponentsPCA), store)
    pred = pred_pipeline(pca_op_class=ThreeComponentsPCA)
    pred.load(store)
    assert pred.node_for_name["pcaop"].op.model.n_components_ == 3
    rows, classes = iris_sample()
    assert run(pred, rows) == classes
    # the old class finds its own saves again, but the logistic was since trained on another PCA
    with pytest.raises(VersionError, match="'logisticop'"):
        pred_pipeline().load(store)


@pytest.mark.parametrize(
    ("pca_class", "logistic_class"),
    [(CommentedPCA, LogisticOp), (PCAOp, PatchedLogistic), (CommentedPCA, PatchedLogistic)],
)
def test_a_minor_or_patch_change_of_the_op_classes_loads_fine(store, pca_class, logistic_class):
    train(train_pca_pipeline(), store)
    train(train_logistic_pipeline(), store)
    pred = pred_pipeline(pca_op_class=pca_class, logistic_op_class=logistic_class)
    pred.load(store)
    rows, classes = iris_sample()
    assert run(pred, rows) == classes
    assert isinstance(pred.node_for_name["pcaop"].op, pca_class)
