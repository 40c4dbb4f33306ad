"""Helpers for testing chariots apps (and for the documentation's examples).

The helpers are imported when first used: this package also holds the chariots pytest plugin,
which pytest loads at every start, and should not pay for the op store's imports then.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chariots_core.testing._op_store_client import TestOpStoreClient
    from chariots_core.testing._pipelines_client import TestPipelinesClient

__all__ = ["TestOpStoreClient", "TestPipelinesClient"]

_LAZY = {
    "TestOpStoreClient": "chariots_core.testing._op_store_client",
    "TestPipelinesClient": "chariots_core.testing._pipelines_client",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
