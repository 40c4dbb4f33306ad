"""JSON for values that pipelines take and give (NumPy arrays and scalars included)."""

from __future__ import annotations

import json
from typing import Any


def to_jsonable(value: Any) -> Any:
    """``value`` with array-likes turned into lists; raises ``TypeError`` if it cannot be JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {_json_key(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    tolist = getattr(value, "tolist", None)  # NumPy arrays and scalars, pandas objects
    if callable(tolist):
        return to_jsonable(tolist())
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable: {value!r:.100}")


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool | int | float) or key is None:
        return json.dumps(key)
    raise TypeError(f"dict key {key!r:.100} is not JSON-serialisable")


def dumps(value: Any) -> str:
    """Compact JSON of ``value`` (see :func:`to_jsonable`)."""
    return json.dumps(to_jsonable(value), separators=(",", ":"), allow_nan=False)
