"""`BaseSerializer`: turns an object into bytes and back."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from types import ModuleType
from typing import Any


class BaseSerializer(ABC):
    """Turns objects (an ML op's model) into bytes and back; subclass it for another format."""

    @abstractmethod
    def serialize_object(self, target: Any) -> bytes:
        """``target`` as bytes."""

    @abstractmethod
    def deserialize_object(self, serialized_object: bytes) -> Any:
        """The object that :meth:`serialize_object` turned into ``serialized_object``."""


def optional_module(module: str, extra: str, serializer: str) -> ModuleType:
    """Import ``module``, or say which extra of chariots-core brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{serializer} needs {module}, which is not installed: "
            f"pip install 'chariots-core[{extra}]'"
        ) from error
