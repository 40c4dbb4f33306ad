"""Nodes: ops placed in a pipeline's graph."""

from chariots_core.pipelines.nodes._node import Node
from chariots_core.pipelines.nodes._reserved import PIPELINE_INPUT, PIPELINE_OUTPUT

__all__ = ["PIPELINE_INPUT", "PIPELINE_OUTPUT", "Node"]
