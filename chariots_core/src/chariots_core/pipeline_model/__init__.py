"""The pipeline model: ops, nodes, pipelines and their graphs, runners and callbacks.

What a pipeline *is*, without the server that serves it: workers run pipelines from here and
never import the server (or Flask). Users find the same objects under the original chariots'
paths, :mod:`chariots_core.pipelines` and its subpackages :mod:`~chariots_core.pipelines.ops`,
:mod:`~chariots_core.pipelines.nodes`, :mod:`~chariots_core.pipelines.runners` and
:mod:`~chariots_core.pipelines.callbacks`, where they are documented.
"""

from chariots_core.pipeline_model import callbacks, nodes, ops, runners
from chariots_core.pipeline_model._pipeline import Pipeline

__all__ = ["Pipeline", "callbacks", "nodes", "ops", "runners"]
