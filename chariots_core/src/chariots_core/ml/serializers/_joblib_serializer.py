"""`JoblibSerializer`: objects pickled with joblib (scikit-learn's advice for its models)."""

from __future__ import annotations

import io
from typing import Any

from chariots_core._optional import import_optional
from chariots_core.ml.serializers._base_serializer import BaseSerializer


class JoblibSerializer(BaseSerializer):
    """Pickles with joblib, efficient for the numpy arrays of scikit-learn models (the
    serializer of the scikit-learn ops). Needs ``chariots-core[sklearn]``.

    Loading runs code from the bytes: load only what you trust.
    """

    def serialize_object(self, target: Any) -> bytes:
        joblib = import_optional("joblib", "sklearn", "JoblibSerializer")
        buffer = io.BytesIO()
        joblib.dump(target, buffer)
        return buffer.getvalue()

    def deserialize_object(self, serialized_object: bytes) -> Any:
        joblib = import_optional("joblib", "sklearn", "JoblibSerializer")
        return joblib.load(io.BytesIO(serialized_object))
