"""`JSONSerializer`: JSON values as UTF-8 text."""

from __future__ import annotations

import json
from typing import Any

from chariots_core.ml.serializers._base_serializer import BaseSerializer


class JSONSerializer(BaseSerializer):
    """Serializes JSON values (dicts, lists, strings, numbers, booleans, None) as UTF-8 JSON.

    Runs no code when loading, unlike the pickle-based serializers.
    """

    def serialize_object(self, target: Any) -> bytes:
        return json.dumps(target).encode("utf-8")

    def deserialize_object(self, serialized_object: bytes) -> Any:
        return json.loads(serialized_object.decode("utf-8"))
