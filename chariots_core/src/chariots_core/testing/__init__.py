"""Helpers for testing chariots apps (and for the documentation's examples).

``RQWorkerContext`` (real RQ workers for a ``with`` block, entered before or after the app is
built) comes from the ``chariots-rq`` distribution (``pip install 'chariots-core[rq]'``): it is
here, where the original chariots' users' tests look for their test helpers.

The helpers are imported when first used: this package also holds the chariots pytest plugin,
which pytest loads at every start, and should not pay for the op store's imports then.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chariots_core.testing._op_store_client import TestOpStoreClient
    from chariots_core.testing._pipelines_client import TestPipelinesClient
    from chariots_core.testing.worker_context import WorkerContext

__all__ = ["RQWorkerContext", "TestOpStoreClient", "TestPipelinesClient", "WorkerContext"]

_LAZY = {
    "TestOpStoreClient": "chariots_core.testing._op_store_client",
    "TestPipelinesClient": "chariots_core.testing._pipelines_client",
    "WorkerContext": "chariots_core.testing.worker_context",
}


def _rq_worker_context() -> Any:
    from chariots_core._optional import import_optional

    return import_optional("chariots_rq.testing", "rq", "RQWorkerContext").RQWorkerContext


def __getattr__(name: str) -> Any:
    if name == "RQWorkerContext":
        value = _rq_worker_context()
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
