"""Pipelines: graphs of versioned ops, the server that serves them and its clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chariots_core.pipelines._pipeline import Pipeline

if TYPE_CHECKING:
    from chariots_core.pipelines._client import PipelinesClient
    from chariots_core.pipelines._response import PipelineResponse
    from chariots_core.pipelines._server import PipelinesServer

__all__ = ["Pipeline", "PipelineResponse", "PipelinesClient", "PipelinesServer"]

_LAZY = {
    "PipelinesServer": "chariots_core.pipelines._server",
    "PipelinesClient": "chariots_core.pipelines._client",
    "PipelineResponse": "chariots_core.pipelines._response",
}


def __getattr__(name: str) -> Any:
    # the server and the HTTP client pull in Flask and requests: import them only when asked
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
