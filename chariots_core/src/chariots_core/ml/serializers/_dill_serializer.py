"""`DillSerializer`: objects pickled with dill (the original chariots' default)."""

from __future__ import annotations

from typing import Any

from chariots_core._optional import import_optional
from chariots_core.ml.serializers._base_serializer import BaseSerializer


class DillSerializer(BaseSerializer):
    """Pickles with `dill <https://pypi.org/project/dill/>`_ (pickle that also takes lambdas,
    closures and interactively defined classes). Needs ``chariots-core[dill]``.

    Loading runs code from the bytes: load only what you trust.
    """

    def serialize_object(self, target: Any) -> bytes:
        dill = import_optional("dill", "dill", "DillSerializer")
        return bytes(dill.dumps(target))

    def deserialize_object(self, serialized_object: bytes) -> Any:
        dill = import_optional("dill", "dill", "DillSerializer")
        return dill.loads(serialized_object)
