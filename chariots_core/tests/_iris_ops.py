"""The ops and pipelines of the iris tutorial, shared by the model tests and the server tests.

``train_pca`` fits a 2-component PCA on the iris features (a fit changes the PCA's MAJOR
version: whatever was trained on its output must be retrained), ``train_logistic`` fits a
logistic regression on the PCA's output (a fit changes its PATCH version) and ``pred`` runs both
on the pipeline's input. The data is scikit-learn's bundled iris set: nothing is downloaded.

Each ``*_pipeline`` function builds new op and node objects, so tests never share state; the op
classes can be swapped to simulate a change of the op's code.
"""

from __future__ import annotations

from typing import Any

from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from chariots_core.ml import MLMode
from chariots_core.ml.sklearn import SKSupervisedOp, SKUnsupervisedOp
from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.versioning import VersionedField, VersionedFieldDict, VersionType

__all__ = [
    "FromArray",
    "IrisFullDataSet",
    "LogisticOp",
    "PCAOp",
    "iris_pipelines",
    "iris_sample",
    "pred_pipeline",
    "train_logistic_pipeline",
    "train_pca_pipeline",
]


class IrisFullDataSet(BaseOp):
    """The iris features and targets: ``(x, y)``."""

    def execute(self) -> tuple[Any, Any]:
        iris = load_iris()
        return iris.data, iris.target


class PCAOp(SKUnsupervisedOp):
    """A 2-component PCA; retraining it breaks the models trained on its output."""

    training_update_version = VersionType.MAJOR
    model_parameters = VersionedFieldDict(VersionType.MAJOR, {"n_components": 2})
    model_class = VersionedField(PCA, VersionType.MAJOR)


class LogisticOp(SKSupervisedOp):
    """A logistic regression at the end of the pipeline; retraining it breaks nothing."""

    training_update_version = VersionType.PATCH
    model_class = VersionedField(LogisticRegression, VersionType.MAJOR)
    # enough iterations to converge on the raw features too (100 does not, and warns)
    model_parameters = VersionedFieldDict(VersionType.MAJOR, {"max_iter": 1000})


class FromArray(BaseOp):
    """A numpy array as plain lists, so that the pipeline's output is JSON."""

    def execute(self, array: Any) -> Any:
        return array.tolist()


def train_pca_pipeline(pca_op_class: type[PCAOp] = PCAOp) -> Pipeline:
    """``train_pca``: fit the PCA on the iris features."""
    return Pipeline(
        [
            Node(IrisFullDataSet(), output_nodes=["x", "y"]),
            Node(pca_op_class(MLMode.FIT), input_nodes=["x"]),
        ],
        "train_pca",
    )


def train_logistic_pipeline(
    pca_op_class: type[PCAOp] = PCAOp, logistic_op_class: type[LogisticOp] = LogisticOp
) -> Pipeline:
    """``train_logistic``: fit the logistic regression on the (saved) PCA's output."""
    return Pipeline(
        [
            Node(IrisFullDataSet(), output_nodes=["x", "y"]),
            Node(pca_op_class(MLMode.PREDICT), input_nodes=["x"], output_nodes="x_transformed"),
            Node(logistic_op_class(MLMode.FIT), input_nodes=["x_transformed", "y"]),
        ],
        "train_logistic",
    )


def pred_pipeline(
    pca_op_class: type[PCAOp] = PCAOp, logistic_op_class: type[LogisticOp] = LogisticOp
) -> Pipeline:
    """``pred``: iris features in (a list of rows of 4 numbers), predicted classes out."""
    return Pipeline(
        [
            Node(
                pca_op_class(MLMode.PREDICT),
                input_nodes=["__pipeline_input__"],
                output_nodes="x_transformed",
            ),
            Node(
                logistic_op_class(MLMode.PREDICT),
                input_nodes=["x_transformed"],
                output_nodes="pred",
            ),
            Node(FromArray(), input_nodes=["pred"], output_nodes="__pipeline_output__"),
        ],
        "pred",
    )


def iris_pipelines() -> list[Pipeline]:
    """The three pipelines of the tutorial: ``train_pca``, ``train_logistic`` and ``pred``."""
    return [train_pca_pipeline(), train_logistic_pipeline(), pred_pipeline()]


def iris_sample() -> tuple[list[list[float]], list[int]]:
    """Three iris rows, one of each class, and their classes: a ``pred`` input and its answer."""
    iris = load_iris()
    rows = [0, 50, 100]
    return [iris.data[row].tolist() for row in rows], [int(iris.target[row]) for row in rows]
