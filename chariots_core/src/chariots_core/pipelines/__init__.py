"""Pipelines: graphs of versioned ops, the server that serves them and its clients."""

from chariots_core.pipelines._client import PipelinesClient
from chariots_core.pipelines._pipeline import Pipeline
from chariots_core.pipelines._response import PipelineResponse
from chariots_core.pipelines._server import PipelinesServer

__all__ = ["Pipeline", "PipelineResponse", "PipelinesClient", "PipelinesServer"]
