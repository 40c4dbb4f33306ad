"""scikit-learn ops: supervised (classifiers, regressors) and unsupervised (transformers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from chariots_core.ml._base_ml_op import BaseMLOp
from chariots_core.ml._ml_mode import MLMode
from chariots_core.ml.serializers import BaseSerializer, JoblibSerializer
from chariots_core.pipeline_model.callbacks import OpCallBack
from chariots_core.versioning import VersionedField, VersionedFieldDict, VersionType


class BaseSKOp(BaseMLOp):
    """An op around a scikit-learn estimator built as ``model_class(**model_parameters)``.

    Declare ``model_class`` and ``model_parameters`` as versioned fields when a change to them
    should change the op's version (``VersionedField(PCA, VersionType.MAJOR)``,
    ``VersionedFieldDict(VersionType.MAJOR, {"n_components": 2})``). The model is saved with
    :class:`~chariots_core.ml.serializers.JoblibSerializer` unless ``serializer_cls`` says
    otherwise.
    """

    serializer_cls: ClassVar[type[BaseSerializer]] = JoblibSerializer
    model_class: ClassVar[Any] = None
    model_parameters: ClassVar[Mapping[str, Any]] = VersionedFieldDict(VersionType.MAJOR, {})
    fit_extra_parameters: ClassVar[Mapping[str, Any]] = VersionedFieldDict(VersionType.MAJOR, {})

    def __init__(self, mode: MLMode, op_callbacks: Sequence[OpCallBack] | None = None) -> None:
        if getattr(type(self), "model_class", None) is None:
            raise TypeError(f"{type(self).__name__} must set model_class")
        super().__init__(mode, op_callbacks)

    def _init_model(self) -> Any:
        return self.model_class(**dict(self.model_parameters))

    @property
    def model(self) -> Any:
        """The estimator this op fits and predicts with."""
        return self._model


class SKSupervisedOp(BaseSKOp):
    """A supervised estimator: fitted on ``(x, y)`` (a new estimator at each fit), predicts
    with the method ``predict_function`` names (``"predict"``; ``"predict_proba"``...)."""

    predict_function = VersionedField("predict", VersionType.MAJOR)

    def fit(self, X: Any, y: Any) -> None:
        self._model = self._init_model()
        self._model.fit(X, y, **self.fit_extra_parameters)

    def predict(self, X: Any) -> Any:
        return getattr(self._model, self.predict_function)(X)


class SKUnsupervisedOp(BaseSKOp):
    """An unsupervised estimator: fitted on ``x`` (a new estimator at each fit), predicts
    ``model.transform(x)``."""

    def fit(self, X: Any) -> None:
        self._model = self._init_model()
        self._model.fit(X, **self.fit_extra_parameters)

    def predict(self, X: Any) -> Any:
        return self._model.transform(X)
