"""scikit-learn ops: supervised (classifiers, regressors) and unsupervised (transformers)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, ClassVar

import joblib

from chariots_core.ml._base_ml_op import BaseMLOp
from chariots_core.ml._ml_mode import MLMode
from chariots_core.pipelines.callbacks import OpCallBack


class BaseSKOp(BaseMLOp):
    """An op around a scikit-learn estimator built as ``model_class(**model_parameters)``.

    Declare ``model_class`` and ``model_parameters`` as versioned fields when a change to them
    should change the op's version (``VersionedField(PCA, VersionType.MAJOR)``).
    """

    model_class: ClassVar[Any]
    model_parameters: ClassVar[dict[str, Any]] = {}
    fit_extra_parameters: ClassVar[dict[str, Any]] = {}

    def __init__(self, mode: MLMode, op_callbacks: Sequence[OpCallBack] | None = None) -> None:
        super().__init__(mode, op_callbacks)
        if getattr(type(self), "model_class", None) is None:
            raise TypeError(f"{type(self).__name__} must set model_class")
        self._model = self._init_model()

    def _init_model(self) -> Any:
        return self.model_class(**dict(self.model_parameters))

    @property
    def model(self) -> Any:
        """The estimator this op fits and predicts with."""
        return self._model

    def serialize(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self._model, buffer)
        return buffer.getvalue()

    def load(self, serialized_object: bytes) -> None:
        self._model = joblib.load(io.BytesIO(serialized_object))


class SKSupervisedOp(BaseSKOp):
    """A supervised estimator: fitted on ``(x, y)``, predicts ``model.predict(x)``."""

    def fit(self, X: Any, y: Any) -> None:
        self._model = self._init_model()
        self._model.fit(X, y, **self.fit_extra_parameters)

    def predict(self, X: Any) -> Any:
        return self._model.predict(X)


class SKUnsupervisedOp(BaseSKOp):
    """An unsupervised estimator: fitted on ``x``, predicts ``model.transform(x)``."""

    def fit(self, X: Any) -> None:
        self._model = self._init_model()
        self._model.fit(X, **self.fit_extra_parameters)

    def predict(self, X: Any) -> Any:
        return self._model.transform(X)
