"""`BaseSerializer`: turns an object into bytes and back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class BaseSerializer(ABC):
    """Turns objects (an ML op's model) into bytes and back; subclass it for another format."""

    @abstractmethod
    def serialize_object(self, target: Any) -> bytes:
        """``target`` as bytes."""

    @abstractmethod
    def deserialize_object(self, serialized_object: bytes) -> Any:
        """The object that :meth:`serialize_object` turned into ``serialized_object``."""
