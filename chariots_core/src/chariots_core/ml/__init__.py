"""Machine-learning ops: fitted, saved, loaded and used for predictions.

:class:`BaseMLOp` is the base of ML ops for any framework (its model saved by a serializer of
:mod:`~chariots_core.ml.serializers`); :mod:`~chariots_core.ml.sklearn` has scikit-learn's
(``pip install chariots-core[sklearn]``). Keras ops, which the original chariots had, are not
provided.
"""

from chariots_core.ml import serializers
from chariots_core.ml._base_ml_op import BaseMLOp
from chariots_core.ml._ml_mode import MLMode

__all__ = ["BaseMLOp", "MLMode", "serializers", "sklearn"]


def __getattr__(name: str) -> object:
    # `chariots_core.ml.sklearn`, as the original's `chariots.ml.sklearn`, imported when asked
    # for (it needs scikit-learn, an extra)
    if name == "sklearn":
        import importlib

        return importlib.import_module("chariots_core.ml.sklearn")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
