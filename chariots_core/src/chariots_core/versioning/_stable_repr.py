"""A representation of field values that is the same in every process and interpreter run."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

_MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def stable_repr(value: Any) -> str:
    """Text that names ``value`` the same way in every interpreter run.

    Classes and functions are named by ``module.qualname`` (never by ``repr``, which may hold a
    memory address); containers are read recursively, dict keys sorted; scikit-learn style
    estimators by their class and ``get_params()``. A value whose only text holds a memory address
    is refused, because a version built from it would change at every run.
    """
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        return "b:" + value.hex()
    if isinstance(value, enum.Enum):
        return f"{_qualified_name(type(value))}.{value.name}"
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return _qualified_name(value)
    if isinstance(value, Mapping):
        items = sorted((stable_repr(key), stable_repr(item)) for key, item in value.items())
        return "{" + ", ".join(f"{key}: {item}" for key, item in items) + "}"
    if isinstance(value, list | tuple):
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        return opening + ", ".join(stable_repr(item) for item in value) + closing
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(stable_repr(item) for item in value)) + "}"
    if dataclasses.is_dataclass(value):
        fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        return f"{_qualified_name(type(value))}({stable_repr(fields)})"
    if _is_array(value):
        # numpy's repr elides the middle of large arrays: name the array by all of its data
        if value.dtype.hasobject:  # its bytes would be pointers
            return f"{_qualified_name(type(value))}({stable_repr(value.tolist())})"
        digest = hashlib.sha1(value.tobytes(), usedforsecurity=False).hexdigest()
        return f"{_qualified_name(type(value))}({value.dtype.str}, {value.shape}, sha1:{digest})"
    get_params = getattr(value, "get_params", None)
    if callable(get_params):
        return f"{_qualified_name(type(value))}({stable_repr(get_params(deep=False))})"
    text = repr(value)
    if _MEMORY_ADDRESS.search(text):
        raise TypeError(
            f"cannot version {text}: its repr holds a memory address, so the version would change "
            "at every run; version a class, a plain value or an object with a stable repr instead"
        )
    return f"{_qualified_name(type(value))}:{text}"


def _is_array(value: Any) -> bool:
    """Whether ``value`` is a numpy array (checked without importing numpy)."""
    return type(value).__module__ == "numpy" and type(value).__name__ == "ndarray"


def _qualified_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    return f"{module}.{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}"
