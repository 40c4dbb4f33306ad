"""Nodes: ops placed in a pipeline's graph.

``"__pipeline_input__"`` / ``"__pipeline_output__"`` (:data:`PIPELINE_INPUT`,
:data:`PIPELINE_OUTPUT`, or the members of :class:`ReservedNodes`) name the pipeline's own input
and output. :class:`BaseNode` is the original chariots' name of the node base class: here an
alias of :class:`Node`, the one kind of node (put custom behaviour in an op).

Defined in :mod:`chariots_core.pipeline_model` (``nodes``), below the server; this is their
original chariots' path.
"""

from chariots_core.pipeline_model.nodes import (
    PIPELINE_INPUT,
    PIPELINE_OUTPUT,
    BaseNode,
    Node,
    ReservedNodes,
)

__all__ = ["PIPELINE_INPUT", "PIPELINE_OUTPUT", "BaseNode", "Node", "ReservedNodes"]
