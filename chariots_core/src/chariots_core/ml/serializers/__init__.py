"""Serializers: how ML ops turn their model into bytes for the op store, and back.

A :class:`~chariots_core.ml.BaseMLOp` saves its ``_model`` with an instance of its
``serializer_cls`` (:class:`DillSerializer` by default, as in the original chariots; the
scikit-learn ops use :class:`JoblibSerializer`). Write your own by subclassing
:class:`BaseSerializer`. Loading bytes made by the pickle-based serializers (dill, joblib) runs
code: only load models from an op store you trust.

The third-party libraries are imported when first used: ``DillSerializer`` needs
``chariots-core[dill]``, ``CSVSerializer`` ``chariots-core[pandas]``, ``JoblibSerializer``
``chariots-core[sklearn]``.
"""

from chariots_core.ml.serializers._base_serializer import BaseSerializer
from chariots_core.ml.serializers._csv_serializer import CSVSerializer
from chariots_core.ml.serializers._dill_serializer import DillSerializer
from chariots_core.ml.serializers._joblib_serializer import JoblibSerializer
from chariots_core.ml.serializers._json_serializer import JSONSerializer

__all__ = [
    "BaseSerializer",
    "CSVSerializer",
    "DillSerializer",
    "JSONSerializer",
    "JoblibSerializer",
]
