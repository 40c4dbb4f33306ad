"""The original chariots' module of the pipelines server: :class:`PipelinesServer` and the
:class:`PipelineResponse` it answers with (both also in :mod:`chariots_core.pipelines`)."""

from chariots_core.pipelines._response import PipelineResponse
from chariots_core.pipelines._server import PipelinesServer

__all__ = ["PipelineResponse", "PipelinesServer"]
