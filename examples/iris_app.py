"""The iris app of the quickstart: a training and a prediction pipeline, served by chariots.

Start it with ``chariots serve --app iris_app:app`` from this folder, or run ``quickstart.py``.
The op store is SQLite and a local folder under ``CHARIOTS_HOME`` (default ``./chariots_home``).
Training runs as a job on a worker pool: with none configured, the embedded pool (worker threads
of the server's process, its queue in the same SQLite file).
"""

from __future__ import annotations

import os
from typing import Any

from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score

from chariots_core.ml import MLMode
from chariots_core.ml.sklearn import SKSupervisedOp, SKUnsupervisedOp
from chariots_core.op_store import OpStore
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.versioning import VersionedField, VersionedFieldDict, VersionType


class IrisFullDataSet(BaseOp):
    """The iris measurements and species, from scikit-learn's bundled copy."""

    def execute(self) -> tuple[Any, Any]:
        iris = load_iris()
        return iris.data, iris.target


class PCAOp(SKUnsupervisedOp):
    """Projects the four measurements on two components; refitting it is a MAJOR change."""

    training_update_version = VersionType.MAJOR
    model_parameters = VersionedFieldDict(VersionType.MAJOR, {"n_components": 2})
    model_class = VersionedField(PCA, VersionType.MAJOR)


class CrossValidate(BaseOp):
    """The accuracy a logistic regression reaches on the components, over repeated 5-fold
    cross-validation: the slow step of the training, and its result."""

    def execute(self, x: Any, y: Any) -> float:
        folds = RepeatedStratifiedKFold(n_splits=5, n_repeats=40, random_state=0)
        scores = cross_val_score(LogisticRegression(max_iter=500), x, y, cv=folds)
        return round(float(scores.mean()), 3)


class SpeciesNames(BaseOp):
    """The species' names of the predicted classes."""

    def execute(self, classes: Any) -> list[str]:
        names = load_iris().target_names
        return [str(names[int(label)]) for label in classes]


class LogisticOp(SKSupervisedOp):
    """Predicts the species from the components."""

    training_update_version = VersionType.PATCH
    model_parameters = VersionedFieldDict(VersionType.MINOR, {"max_iter": 500})
    model_class = VersionedField(LogisticRegression, VersionType.MAJOR)


train = Pipeline(
    [
        Node(IrisFullDataSet(), output_nodes=["x", "y"]),
        Node(PCAOp(MLMode.FIT_PREDICT), input_nodes=["x"], output_nodes="x_transformed"),
        Node(
            CrossValidate(),
            input_nodes=["x_transformed", "y"],
            output_nodes="__pipeline_output__",
        ),
        Node(LogisticOp(MLMode.FIT), input_nodes=["x_transformed", "y"]),
    ],
    "train",
    use_worker=True,  # slow: a call runs it as a job on the app's worker pool
)

predict = Pipeline(
    [
        Node(PCAOp(MLMode.PREDICT), input_nodes=["__pipeline_input__"], output_nodes="x_pca"),
        Node(LogisticOp(MLMode.PREDICT), input_nodes=["x_pca"], output_nodes="classes"),
        Node(SpeciesNames(), input_nodes=["classes"], output_nodes="__pipeline_output__"),
    ],
    "predict",
)

home = os.environ.get("CHARIOTS_HOME", "chariots_home")
app = PipelinesServer([train, predict], op_store_client=OpStore(path=home), import_name="iris_app")
