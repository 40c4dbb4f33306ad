"""ML ops written for the original chariots work unchanged (but for the import root)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from chariots_core.ml import BaseMLOp, MLMode, serializers
from chariots_core.ml.sklearn import SKSupervisedOp
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp
from chariots_core.testing import TestOpStoreClient, TestPipelinesClient
from chariots_core.versioning import VersionedField, VersionType


class Vocabulary:
    """A model class of one's own, as an unsupported framework would have."""

    def __init__(self) -> None:
        self.words: list[str] = []

    def learn(self, texts: list[str]) -> None:
        self.words = sorted({word for text in texts for word in text.split()})


class VocabularyOp(BaseMLOp):
    """Written the original's way: _init_model, fit and predict on self._model, no serialize."""

    training_update_version = VersionType.MAJOR

    def _init_model(self) -> Vocabulary:
        return Vocabulary()

    def fit(self, texts: list[str]) -> None:
        self._model.learn(texts)

    def predict(self, texts: list[str]) -> list[list[int]]:
        return [[self._model.words.index(word) for word in text.split()] for text in texts]


class JSONVocabularyOp(VocabularyOp):
    """The same with a JSON model and ``serializer_cls`` changed, as the original documented."""

    serializer_cls = serializers.JSONSerializer

    def _init_model(self) -> list[str]:
        return []

    def fit(self, texts: list[str]) -> None:
        self._model = sorted({word for text in texts for word in text.split()})

    def predict(self, texts: list[str]) -> list[list[int]]:
        return [[self._model.index(word) for word in text.split()] for text in texts]


class Corpus(BaseOp):
    def execute(self) -> list[str]:
        return ["the cat", "a dog", "the dog"]


def _app(tmp_path: Path, op_class: type[VocabularyOp]) -> tuple[Any, Pipeline, Pipeline]:
    train = Pipeline(
        [Node(Corpus(), output_nodes="texts"), Node(op_class(MLMode.FIT), input_nodes=["texts"])],
        "train",
    )
    pred = Pipeline(
        [
            Node(
                op_class(MLMode.PREDICT),
                input_nodes=["__pipeline_input__"],
                output_nodes="__pipeline_output__",
            )
        ],
        "pred",
    )
    op_store_client = TestOpStoreClient(str(tmp_path))
    op_store_client.server.db.create_all()
    app = PipelinesServer([train, pred], op_store_client=op_store_client, import_name="app")
    return TestPipelinesClient(app), train, pred


@pytest.mark.parametrize("op_class", [VocabularyOp, JSONVocabularyOp])
def test_a_custom_ml_op_trains_saves_loads_and_predicts(
    tmp_path: Path, op_class: type[VocabularyOp]
) -> None:
    client, train, pred = _app(tmp_path, op_class)
    response = client.call_pipeline(train)
    client.save_pipeline(train)
    client.load_pipeline(pred)
    response = client.call_pipeline(pred, ["the dog", "a cat"])
    assert response.value == [[3, 2], [0, 1]]


def test_the_default_serializer_is_dill_and_saves_the_model() -> None:
    op = VocabularyOp(MLMode.FIT)
    assert VocabularyOp.serializer_cls is serializers.DillSerializer
    assert isinstance(op.serializer, serializers.DillSerializer)
    op.execute(["b a"])
    loaded = VocabularyOp(MLMode.PREDICT)
    loaded.load(op.serialize())
    assert loaded._model.words == ["a", "b"]
    assert loaded.predict(["a b"]) == [[0, 1]]


def test_an_ml_op_that_keeps_no_model_object_starts_with_none() -> None:
    class Mean(BaseMLOp):
        def fit(self, values: list[float]) -> None:
            self._model = sum(values) / len(values)

        def predict(self, values: list[float]) -> list[float]:
            return [value - self._model for value in values]

    op = Mean(MLMode.FIT_PREDICT)
    assert op._model is None
    assert op.execute([1.0, 3.0]) == [-1.0, 1.0]
    assert op.allow_version_change
    assert not Mean(MLMode.PREDICT).allow_version_change


class ProbaOp(SKSupervisedOp):
    """An sklearn op with the original's knobs: predict_function and serializer_cls."""

    model_class = VersionedField(LogisticRegression, VersionType.MAJOR)
    predict_function = VersionedField("predict_proba", VersionType.MAJOR)
    serializer_cls = serializers.DillSerializer


def test_sklearn_ops_take_predict_function_and_serializer_cls() -> None:
    x, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    op = ProbaOp(MLMode.FIT)
    op.execute(x, y)
    assert isinstance(op.serializer, serializers.DillSerializer)
    loaded = ProbaOp(MLMode.PREDICT)
    loaded.load(op.serialize())
    probabilities = loaded.execute(x)
    assert probabilities.shape == (4, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert (
        ProbaOp.__version__.major
        != type(
            "Plain", (ProbaOp,), {"predict_function": VersionedField("predict", VersionType.MAJOR)}
        ).__version__.major
    )
