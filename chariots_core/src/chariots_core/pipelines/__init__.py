"""Pipelines: graphs of versioned ops, the server that serves them and its clients.

The subpackages hold the parts: :mod:`.ops`, :mod:`.nodes`, :mod:`.runners`, :mod:`.callbacks`;
:mod:`.pipelines_server` and :mod:`.pipelines_client` are the original chariots' modules of the
server and its clients.

The pipeline model (:class:`Pipeline`, ops, nodes, runners, callbacks) is defined below the
workers, in :mod:`chariots_core.pipeline_model`, so that a worker runs pipelines without loading
the server; this package serves it, and names it under the original chariots' paths.
"""

from chariots_core.pipeline_model import Pipeline
from chariots_core.pipelines import callbacks, nodes, ops, runners
from chariots_core.pipelines._client import BasePipelinesClient, PipelinesClient
from chariots_core.pipelines._response import PipelineResponse
from chariots_core.pipelines._server import PipelinesServer
from chariots_core.pipelines.pipelines_client import AbstractPipelinesClient

__all__ = [
    "AbstractPipelinesClient",
    "BasePipelinesClient",
    "Pipeline",
    "PipelineResponse",
    "PipelinesClient",
    "PipelinesServer",
    "callbacks",
    "nodes",
    "ops",
    "runners",
]
