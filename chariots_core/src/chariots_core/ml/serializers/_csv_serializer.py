"""`CSVSerializer`: pandas data frames as CSV text."""

from __future__ import annotations

import io
from typing import Any

from chariots_core._optional import import_optional
from chariots_core.ml.serializers._base_serializer import BaseSerializer


class CSVSerializer(BaseSerializer):
    """Serializes a pandas ``DataFrame`` as UTF-8 CSV, without its index (column names and
    values round-trip; dtypes are read back as pandas infers them). Needs
    ``chariots-core[pandas]``.
    """

    def serialize_object(self, target: Any) -> bytes:
        pandas = import_optional("pandas", "pandas", "CSVSerializer")
        if not isinstance(target, pandas.DataFrame):
            raise TypeError(
                f"CSVSerializer serializes pandas DataFrames, not {type(target).__name__}"
            )
        return str(target.to_csv(index=False)).encode("utf-8")

    def deserialize_object(self, serialized_object: bytes) -> Any:
        pandas = import_optional("pandas", "pandas", "CSVSerializer")
        return pandas.read_csv(io.BytesIO(serialized_object), encoding="utf-8")
