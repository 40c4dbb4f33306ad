"""`BaseMLOp`: a loadable op that is fitted, then predicts."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from chariots_core.ml._ml_mode import MLMode
from chariots_core.ml.serializers import BaseSerializer, DillSerializer
from chariots_core.pipeline_model.callbacks import OpCallBack
from chariots_core.pipeline_model.ops import LoadableOp
from chariots_core.versioning import Version, VersionType


class BaseMLOp(LoadableOp):
    """A machine-learning op: its node fits it, predicts with it, or both, as ``mode`` says.

    Written as in the original chariots, a subclass defines :meth:`fit` and :meth:`predict` on
    ``self._model``, and :meth:`_init_model` to make a new (untrained) model; the op then saves
    and loads ``self._model`` with an instance of ``serializer_cls`` (``self.serializer``;
    :class:`~chariots_core.ml.serializers.DillSerializer` by default, which needs
    ``chariots-core[dill]``). An op that keeps its state elsewhere overrides :meth:`serialize`
    and :meth:`load` instead.

    Each fit gives the op a new training version; ``training_update_version`` says which part
    of the op's version a fit changes. MAJOR means whatever was trained on this op's output must
    be retrained (a PCA whose components change); PATCH means it need not (a classifier at the
    end of a pipeline).
    """

    training_update_version: ClassVar[VersionType] = VersionType.PATCH
    serializer_cls: ClassVar[type[BaseSerializer]] = DillSerializer

    def __init__(self, mode: MLMode, op_callbacks: Sequence[OpCallBack] | None = None) -> None:
        if not isinstance(mode, MLMode):
            raise TypeError(f"mode must be an MLMode, not {mode!r}")
        super().__init__(op_callbacks)
        self.mode = mode
        self.serializer: BaseSerializer = self.serializer_cls()
        self._model: Any = self._init_model()

    def _init_model(self) -> Any:
        """A new, untrained model (``None`` by default: an op that keeps no model object)."""
        return None

    @property
    def allow_version_change(self) -> bool:  # type: ignore[override]
        """An op about to be fitted may load on any upstream version: it is retrained on it."""
        return self.mode is not MLMode.PREDICT

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        if self.mode is MLMode.PREDICT:
            return self.predict(*args, **kwargs)
        self.fit(*args, **kwargs)
        self.training_version = Version().update(
            self.training_update_version, uuid.uuid4().hex.encode()
        )
        if self.mode is MLMode.FIT_PREDICT:
            return self.predict(*args[:1], **kwargs)
        return None

    @abstractmethod
    def fit(self, *args: Any, **kwargs: Any) -> None:
        """Train the op (``self._model``) on the outputs of its input nodes."""

    @abstractmethod
    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """Use the trained op (``self._model``) on the outputs of its input nodes."""

    def serialize(self) -> bytes:
        """``self._model`` as bytes, by ``self.serializer``."""
        return self.serializer.serialize_object(self._model)

    def load(self, serialized_object: bytes) -> None:
        """Set ``self._model`` from bytes made by :meth:`serialize` (a new object: the op's
        copies do not share it)."""
        self._model = self.serializer.deserialize_object(serialized_object)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} op {self.name!r} ({self.mode.value}) {self.op_version!r}>"
